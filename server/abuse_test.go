package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// doFrom sends a request as if the ALB had forwarded it from client: the
// harness's peer is loopback, a trusted proxy by default.
func (h *harness) doFrom(client, method, path, token string, body any) response {
	h.t.Helper()
	return h.doAs("", client, method, path, token, body)
}

func sqliteTarget(t testing.TB) store.Target {
	return store.Target{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "api.db")}
}

// realisticBcrypt makes each check take milliseconds, as in production
// (there tens), so a burst's requests overlap as they would there; at the
// harness's minimum cost they finish one by one and hide the race.
func realisticBcrypt(d *Deps) { d.BcryptCost = bcrypt.MinCost + 4 }

// manySlots lets every request of a burst hash at once, for tests about
// something other than the bound on bcrypt.
func manySlots(d *Deps) { d.HashConcurrency = 64 }

// burst runs n requests at once: all goroutines start together at a barrier.
func burst(n int, f func(i int) response) []response {
	out := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

func statuses(rs []response) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		m[r.status]++
	}
	return m
}

// checkThrottled: every 429 says when to retry.
func checkThrottled(t *testing.T, rs []response) {
	t.Helper()
	for _, r := range rs {
		if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After: %s", r.body)
		}
	}
}

// TestLoginBurstCannotBypassThrottle: concurrent guesses from one client for
// one account run at most the limit's number of verifications.
func TestLoginBurstCannotBypassThrottle(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), realisticBcrypt)
	h.user("ada@example.com", "1990-12-10")
	rs := burst(40, func(i int) response {
		return h.do("POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": fmt.Sprintf("wrong guess %d", i)})
	})
	got := statuses(rs)
	if got[http.StatusUnauthorized] > 5 || got[http.StatusUnauthorized]+got[http.StatusTooManyRequests] != 40 {
		t.Fatalf("40 concurrent wrong logins: %v, want at most 5 × 401 and the rest 429", got)
	}
	checkThrottled(t, rs)

	// 99 wrong guesses and the right one, from a fresh client: at most five
	// wrong passwords are checked before the right one gets through, if it
	// is among the first; its success clears the pair's failures (as for an
	// owner who mistyped), so at most five more may follow it, guesses from a
	// client that holds the password already.
	rs = burst(100, func(i int) response {
		pw := fmt.Sprintf("wrong guess %d", i)
		if i == 50 {
			pw = "correct horse battery"
		}
		return h.doFrom("203.0.113.50", "POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": pw})
	})
	got = statuses(rs)
	if allowed := 5 + 5*got[http.StatusOK]; got[http.StatusUnauthorized] > allowed || got[http.StatusOK] > 1 {
		t.Fatalf("a burst of 100 guesses verified %d wrong passwords (at most %d allowed): %v", got[http.StatusUnauthorized], allowed, got)
	}
	checkThrottled(t, rs)

	// The per-client limit holds under a burst too: 40 accounts at once.
	rs = burst(40, func(i int) response {
		return h.doFrom("203.0.113.51", "POST", "/api/login", "", map[string]string{"email": fmt.Sprintf("u%d@example.com", i), "password": "whatever1"})
	})
	if got := statuses(rs); got[http.StatusUnauthorized] > 20 {
		t.Fatalf("40 concurrent logins over 40 accounts from one client: %v, want at most 20 × 401", got)
	}
}

// TestPasswordChangeBurstCannotBypassThrottle: a stolen token does not give
// a burst of guesses at the current password.
func TestPasswordChangeBurstCannotBypassThrottle(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), realisticBcrypt)
	_, token := h.user("ada@example.com", "1990-12-10")
	other := h.login("ada@example.com", "correct horse battery")
	rs := burst(30, func(i int) response {
		return h.doFrom("203.0.113.60", "PUT", "/api/me/password", token, map[string]string{"currentPassword": fmt.Sprintf("wrong guess %d", i), "newPassword": "stolen and changed"})
	})
	got := statuses(rs)
	if got[http.StatusForbidden] > 5 || got[http.StatusForbidden]+got[http.StatusTooManyRequests] != 30 {
		t.Fatalf("30 concurrent wrong password changes: %v, want at most 5 × 403 and the rest 429", got)
	}
	checkThrottled(t, rs)
	// Guesses one at a time (the burst met the per-client bound on hashes in
	// flight too): still at most 5 wrong ones in all.
	wrong := got[http.StatusForbidden]
	for i := 0; ; i++ {
		r := h.doFrom("203.0.113.60", "PUT", "/api/me/password", token, map[string]string{"currentPassword": fmt.Sprintf("later guess %d", i), "newPassword": "stolen and changed"})
		if r.status == http.StatusTooManyRequests {
			break
		}
		h.expect(r, http.StatusForbidden, "invalid_credentials")
		if wrong++; wrong > 5 {
			t.Fatalf("%d wrong current passwords checked", wrong)
		}
	}
	// The right guess now is refused too, and the owner's sessions live on.
	h.expect(h.doFrom("203.0.113.60", "PUT", "/api/me/password", token, map[string]string{"currentPassword": "correct horse battery", "newPassword": "stolen and changed"}),
		http.StatusTooManyRequests, "too_many_attempts")
	h.expect(h.do("GET", "/api/me", other, nil), http.StatusOK, "")
}

// TestAttackerCannotLockOutOwner: failures from many other addresses slow
// the account down for strangers but never stop its owner.
func TestAttackerCannotLockOutOwner(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), manySlots)
	h.user("victim@example.com", "1990-12-10")
	owner := "198.51.100.10"
	token := h.doFrom(owner, "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "correct horse battery"})
	h.expect(token, http.StatusOK, "")

	// The case: five failures from five addresses lock nobody out,
	// not even the owner on an address the server has never seen.
	for i := range 5 {
		h.expect(h.doFrom(fmt.Sprintf("203.0.113.%d", i), "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "guess guess"}),
			http.StatusUnauthorized, "invalid_credentials")
	}
	h.expect(h.doFrom("198.51.100.11", "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "correct horse battery"}),
		http.StatusOK, "")

	// A distributed attack: 30 addresses, each until it is blocked.
	rs := burst(30*6, func(i int) response {
		return h.doFrom(fmt.Sprintf("192.0.2.%d", i/6), "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": fmt.Sprintf("guess %d", i)})
	})
	got := statuses(rs)
	if got[http.StatusUnauthorized] > 30*5 {
		t.Fatalf("attack: %v", got)
	}
	checkThrottled(t, rs)
	// Strangers now wait a growing delay, at most a minute, never 15.
	r := h.doFrom("198.51.100.99", "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "correct horse battery"})
	h.expect(r, http.StatusTooManyRequests, "too_many_attempts")
	if ra := r.header.Get("Retry-After"); ra == "" || len(ra) > 2 {
		t.Fatalf("soft limit Retry-After = %q, want a few seconds up to 60", ra)
	}
	// The owner, from the address they signed in from, gets in and can
	// change the password.
	r = h.doFrom(owner, "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "correct horse battery"})
	h.expect(r, http.StatusOK, "")
	tok := r.json(t)["token"].(string)
	h.expect(h.doFrom(owner, "PUT", "/api/me/password", tok, map[string]string{"currentPassword": "correct horse battery", "newPassword": "a brand new passphrase"}),
		http.StatusNoContent, "")
	// After the longest delay a stranger's attempt is admitted again.
	h.clock.Advance(time.Minute)
	h.expect(h.doFrom("198.51.100.99", "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "a brand new passphrase"}),
		http.StatusOK, "")
}

// TestPasswordChangeEndsRacingLogins: logins with the old password racing a
// password change leave no session that outlives the change.
func TestPasswordChangeEndsRacingLogins(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { raceLoginsWithPasswordChange(t, newHarnessOn(t, sqliteTarget(t), manySlots)) })
	t.Run("mariadb", func(t *testing.T) {
		raceLoginsWithPasswordChange(t, newHarnessOn(t, store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)}, manySlots))
	})
}

func raceLoginsWithPasswordChange(t *testing.T, h *harness) {
	for run := range 8 {
		email := fmt.Sprintf("race%d@example.com", run)
		_, token := h.user(email, "1990-12-10")
		const logins = 12
		rs := burst(logins+1, func(i int) response {
			if i == logins {
				return h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "correct horse battery", "newPassword": "the new passphrase"})
			}
			return h.doFrom(fmt.Sprintf("198.51.%d.%d", run, i), "POST", "/api/login", "", map[string]string{"email": email, "password": "correct horse battery"})
		})
		h.expect(rs[logins], http.StatusNoContent, "")
		for _, r := range rs[:logins] {
			if r.status != http.StatusOK {
				continue
			}
			if me := h.do("GET", "/api/me", r.json(t)["token"].(string), nil); me.status != http.StatusUnauthorized {
				t.Fatalf("run %d: a session from the old password outlived the change: GET /api/me = %d", run, me.status)
			}
		}
	}
}

// TestRacingPasswordChangesHaveOneWinner: two sessions changing the password
// at once (the owner and a thief who knows it): the change that commits
// second finds its session revoked by the first and changes nothing, so the
// loser cannot take the account back.
func TestRacingPasswordChangesHaveOneWinner(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { racePasswordChanges(t, newHarnessOn(t, sqliteTarget(t), manySlots)) })
	t.Run("mariadb", func(t *testing.T) {
		racePasswordChanges(t, newHarnessOn(t, store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)}, manySlots))
	})
}

func racePasswordChanges(t *testing.T, h *harness) {
	for run := range 10 {
		email := fmt.Sprintf("twice%d@example.com", run)
		_, owner := h.user(email, "1990-12-10")
		thief := h.login(email, "correct horse battery")
		tokens := []string{owner, thief}
		rs := burst(2, func(i int) response {
			return h.do("PUT", "/api/me/password", tokens[i], map[string]string{"currentPassword": "correct horse battery", "newPassword": fmt.Sprintf("new passphrase %d", i)})
		})
		winner := -1
		for i, r := range rs {
			switch r.status {
			case http.StatusNoContent:
				if winner >= 0 {
					t.Fatalf("run %d: both password changes succeeded", run)
				}
				winner = i
			case http.StatusUnauthorized:
			default:
				t.Fatalf("run %d: change %d answered %d %s", run, i, r.status, r.body)
			}
		}
		if winner < 0 {
			t.Fatalf("run %d: neither change succeeded", run)
		}
		h.expect(h.do("GET", "/api/me", tokens[winner], nil), http.StatusOK, "")
		h.expect(h.do("GET", "/api/me", tokens[1-winner], nil), http.StatusUnauthorized, "unauthorized")
		h.login(email, fmt.Sprintf("new passphrase %d", winner))
	}
}

// TestPatchMeReadsBackItsOwnUpdate: under concurrent updates each response
// shows exactly what its own request wrote.
func TestPatchMeReadsBackItsOwnUpdate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { concurrentPatches(t, newHarness(t)) })
	t.Run("mariadb", func(t *testing.T) {
		concurrentPatches(t, newHarnessOn(t, store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)}))
	})
}

func concurrentPatches(t *testing.T, h *harness) {
	_, token := h.user("ada@example.com", "1990-12-10")
	for round := range 5 {
		rs := burst(20, func(i int) response {
			return h.do("PATCH", "/api/me", token, map[string]string{"firstName": fmt.Sprintf("First%d", i), "lastName": fmt.Sprintf("Last%d", i)})
		})
		for i, r := range rs {
			h.expect(r, http.StatusOK, "")
			if got := r.json(t); got["firstName"] != fmt.Sprintf("First%d", i) || got["lastName"] != fmt.Sprintf("Last%d", i) {
				t.Fatalf("round %d: update %d read back %v %v", round, i, got["firstName"], got["lastName"])
			}
		}
	}
}

// TestSignUpThrottledPerClient: a burst of sign-ups from one client is cut
// off at the limit; other clients are unaffected.
func TestSignUpThrottledPerClient(t *testing.T) {
	// Enough bcrypt slots that none of the burst is turned away as busy.
	h := newHarnessOn(t, sqliteTarget(t), manySlots)
	rs := burst(h.api.deps.SignUpsPerHour+12, func(i int) response {
		return h.doFrom("203.0.113.70", "POST", "/api/users", "", signUpBody(fmt.Sprintf("burst%d@example.com", i)))
	})
	got := statuses(rs)
	if got[http.StatusCreated] != h.api.deps.SignUpsPerHour || got[http.StatusTooManyRequests] != 12 {
		t.Fatalf("sign-up burst: %v, want %d × 201 and 12 × 429", got, h.api.deps.SignUpsPerHour)
	}
	for _, r := range rs {
		if r.status == http.StatusTooManyRequests {
			if code := r.errorCode(t); code != "too_many_sign_ups" || r.header.Get("Retry-After") == "" {
				t.Fatalf("429 %s, Retry-After %q", code, r.header.Get("Retry-After"))
			}
		}
	}
	// Enumeration through "email taken" is throttled the same way.
	taken := ""
	for i, r := range rs {
		if r.status == http.StatusCreated {
			taken = fmt.Sprintf("burst%d@example.com", i)
		}
	}
	h.expect(h.doFrom("203.0.113.70", "POST", "/api/users", "", signUpBody(taken)), http.StatusTooManyRequests, "too_many_sign_ups")
	h.expect(h.doFrom("203.0.113.71", "POST", "/api/users", "", signUpBody(taken)), http.StatusConflict, "email_taken")
	h.clock.Advance(time.Hour)
	h.expect(h.doFrom("203.0.113.70", "POST", "/api/users", "", signUpBody("later@example.com")), http.StatusCreated, "")
}

// TestBcryptSlotsFullAnswer503: with every slot taken and the queue full,
// password checks answer 503 with Retry-After instead of piling up.
func TestBcryptSlotsFullAnswer503(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), func(d *Deps) { d.HashConcurrency = 1 })
	h.user("ada@example.com", "1990-12-10")
	tk, refused := h.api.hashes.admit("test")
	if refused == nil {
		refused = tk.wait(t.Context())
	}
	if refused != nil {
		t.Fatal("no free slot")
	}
	// Fill the queue (8 per slot) with logins from distinct clients.
	queued := make(chan response, 8)
	for i := range 8 {
		go func() {
			queued <- h.doFrom(fmt.Sprintf("203.0.113.%d", 100+i), "POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "correct horse battery"})
		}()
	}
	for h.api.hashes.waitingNow() < 8 {
		time.Sleep(time.Millisecond)
	}
	r := h.doFrom("203.0.113.99", "POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "correct horse battery"})
	h.expect(r, http.StatusServiceUnavailable, "busy")
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("503 Retry-After = %q", r.header.Get("Retry-After"))
	}
	r = h.doFrom("203.0.113.98", "POST", "/api/users", "", signUpBody("new@example.com"))
	h.expect(r, http.StatusServiceUnavailable, "busy")
	tk.done()
	for range 8 {
		if r := <-queued; r.status != http.StatusOK {
			t.Fatalf("queued login: %d %s", r.status, r.body)
		}
	}
	// The 503 did not count against the sign-up limit or the attempts.
	h.expect(h.doFrom("203.0.113.98", "POST", "/api/users", "", signUpBody("new@example.com")), http.StatusCreated, "")
	h.login("ada@example.com", "correct horse battery")
}

// TestSecurityHeaders: every response carries them, whatever serves it.
func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/api/me", token}, {"GET", "/api/me", ""}, {"GET", "/api/nope", ""}, {"DELETE", "/api/me", ""}, {"GET", "/healthz", ""},
	} {
		r := h.do(c.method, c.path, c.token, nil)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s %s: %s = %q, want %q", c.method, c.path, k, got, want)
			}
		}
	}
}

// TestInvalidUTF8Rejected: the JSON decoder would replace bad bytes with
// U+FFFD and store them; the body is refused instead.
func TestInvalidUTF8Rejected(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	for _, c := range []struct{ method, path, token, body string }{
		{"POST", "/api/users", "", `{"email":"x@example.com","password":"correct horse battery","firstName":"A` + "\xff" + `","lastName":"B","birthDate":"1990-01-01"}`},
		{"POST", "/api/login", "", `{"email":"ada@example.com","password":"correct horse battery` + "\xc3" + `"}`},
		{"PATCH", "/api/me", token, `{"firstName":"` + "\xed\xa0\x80" + `"}`},
	} {
		r := h.do(c.method, c.path, c.token, c.body)
		h.expect(r, http.StatusBadRequest, "invalid_json")
		if !strings.Contains(string(r.body), "UTF-8") {
			t.Errorf("%s %s: message does not say UTF-8: %s", c.method, c.path, r.body)
		}
	}
	if got := h.do("GET", "/api/me", token, nil).json(t)["firstName"]; got != "Ada" {
		t.Fatalf("first name changed to %q", got)
	}
}

// TestThrottleKeysOnTrustedClientAddress: end to end, the throttle counts the
// address the trusted proxies name, and headers from anyone else change
// nothing.
func TestThrottleKeysOnTrustedClientAddress(t *testing.T) {
	bad := `{"email":"ada@example.com","password":"wrong guess"}`
	send := func(h *harness, xff, viewer string) response {
		req, _ := http.NewRequest("POST", h.http.URL+"/api/login", strings.NewReader(bad))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		if viewer != "" {
			req.Header.Set("CloudFront-Viewer-Address", viewer)
		}
		return h.send(req)
	}
	// Behind CloudFront: the viewer address decides, whatever the client
	// wrote into X-Forwarded-For.
	h := newHarness(t)
	h.user("ada@example.com", "1990-12-10")
	for i := range 5 {
		h.expect(send(h, fmt.Sprintf("10.9.9.%d, 130.176.0.%d", i, i), "198.51.100.1:4000"), http.StatusUnauthorized, "invalid_credentials")
	}
	h.expect(send(h, "10.9.9.9, 130.176.0.9", "198.51.100.1:5000"), http.StatusTooManyRequests, "too_many_attempts")
	h.expect(send(h, "130.176.0.1", "198.51.100.2:4000"), http.StatusUnauthorized, "invalid_credentials")

	// TRUSTED_PROXIES=none: rotating spoofed headers does not evade the limit.
	h = newHarnessOn(t, sqliteTarget(t), func(d *Deps) { d.Proxies.Trusted = []netip.Prefix{} })
	h.user("ada@example.com", "1990-12-10")
	for i := range 5 {
		h.expect(send(h, fmt.Sprintf("203.0.113.%d", i), fmt.Sprintf("198.51.100.%d:1", i)), http.StatusUnauthorized, "invalid_credentials")
	}
	h.expect(send(h, "203.0.113.77", "198.51.100.77:1"), http.StatusTooManyRequests, "too_many_attempts")
}
