package server

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

func bothDatabases(t *testing.T, f func(t *testing.T, target store.Target)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteTarget(t)) })
	t.Run("mariadb", func(t *testing.T) { f(t, store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)}) })
}

// TestThrottlesSharedAcrossInstances: three server instances on one
// database (three tasks) give one address 5 wrong guesses per account in
// all, not 5 each, under a concurrent burst spread over them; and an
// instance started afterwards (a deploy) still refuses.
func TestThrottlesSharedAcrossInstances(t *testing.T) {
	bothDatabases(t, func(t *testing.T, target store.Target) {
		tasks := []*harness{newHarnessOn(t, target, realisticBcrypt), newHarnessOn(t, target, realisticBcrypt), newHarnessOn(t, target, realisticBcrypt)}
		tasks[0].user("ada@example.com", "1990-12-10")
		guess := func(h *harness, i int) response {
			return h.doFrom("203.0.113.80", "POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": fmt.Sprintf("guess %d", i)})
		}
		rs := burst(45, func(i int) response { return guess(tasks[i%3], i) })
		wrong := statuses(rs)[http.StatusUnauthorized]
		checkThrottled(t, rs)
		// Then one at a time, round the tasks, until each of them refuses.
		for i, refusals := 0, 0; refusals < 3; i++ {
			r := guess(tasks[i%3], 100+i)
			switch r.status {
			case http.StatusUnauthorized:
				wrong, refusals = wrong+1, 0
			case http.StatusTooManyRequests:
				refusals++
			default:
				t.Fatalf("guess: %d %s", r.status, r.body)
			}
		}
		if wrong != 5 {
			t.Fatalf("3 tasks checked %d wrong passwords for one account from one address, want 5 in all", wrong)
		}
		// A restart (a new task on the same database) remembers.
		restarted := newHarnessOn(t, target, realisticBcrypt)
		r := guess(restarted, 999)
		restarted.expect(r, http.StatusTooManyRequests, "too_many_attempts")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		// The owner, from another address, is not affected.
		restarted.expect(restarted.doFrom("198.51.100.80", "POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "correct horse battery"}), http.StatusOK, "")
	})
}

// TestSharedAddressKeepsItsUsers: 20 wrong logins to made-up e-mails from a
// shared address (a NAT) block that address for strangers, but not for a
// user who signed in from it before.
func TestSharedAddressKeepsItsUsers(t *testing.T) {
	h := newHarness(t)
	const office = "198.51.100.30"
	h.expect(h.doFrom(office, "POST", "/api/users", "", signUpBody("worker@example.com")), http.StatusCreated, "")
	h.expect(h.doFrom(office, "POST", "/api/login", "", map[string]string{"email": "worker@example.com", "password": "correct horse battery"}), http.StatusOK, "")
	for i := range 20 {
		h.expect(h.doFrom(office, "POST", "/api/login", "", map[string]string{"email": fmt.Sprintf("made-up%d@example.com", i), "password": "whatever1"}),
			http.StatusUnauthorized, "invalid_credentials")
	}
	h.expect(h.doFrom(office, "POST", "/api/login", "", map[string]string{"email": "made-up99@example.com", "password": "whatever1"}),
		http.StatusTooManyRequests, "too_many_attempts")
	h.expect(h.doFrom(office, "POST", "/api/login", "", map[string]string{"email": "worker@example.com", "password": "correct horse battery"}), http.StatusOK, "")
}

// TestSamePasswordRefused: a password change to the current password is
// refused with its own code, before any hashing.
func TestSamePasswordRefused(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	r := h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "correct horse battery", "newPassword": "correct horse battery"})
	h.expect(r, http.StatusUnprocessableEntity, "password_unchanged")
	if r.field(t, "newPassword") == "" {
		t.Fatalf("no field message: %s", r.body)
	}
}

// TestProfileReadsThrottled: reading other users' profiles is limited per
// client address and per reader; one's own is not counted.
func TestProfileReadsThrottled(t *testing.T) {
	h := newHarness(t)
	me, token := h.user("reader@example.com", "1990-12-10")
	other, _ := h.user("other@example.com", "1990-12-10")
	for range profileReadsPerHour {
		h.expect(h.do("GET", fmt.Sprintf("/api/users/%d", other), token, nil), http.StatusOK, "")
	}
	r := h.do("GET", fmt.Sprintf("/api/users/%d", other), token, nil)
	h.expect(r, http.StatusTooManyRequests, "too_many_profile_reads")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// The same reader from another address: the reader's budget is spent.
	h.expect(h.doFrom("198.51.100.40", "GET", fmt.Sprintf("/api/users/%d", other), token, nil), http.StatusTooManyRequests, "too_many_profile_reads")
	h.expect(h.do("GET", fmt.Sprintf("/api/users/%d", me), token, nil), http.StatusOK, "")
	h.clock.Advance(time.Hour)
	h.expect(h.do("GET", fmt.Sprintf("/api/users/%d", other), token, nil), http.StatusOK, "")
}

// TestFairHashingUnderFlood: the attacks on password hashing, with
// two hashing slots as on a 2-core task. While one address keeps ~20
// correct logins of its 4 accounts in flight (the count limits raised, so
// that only the fair queue stands in the way), or many /64s of one IPv6 /48
// send sign-ups, a victim logging in from another address every 250 ms
// succeeds (≥ 95 %); during the sign-up flood every other turn of the
// victim is a sign-up, from an address of its own (each a different
// person). It judges who gets the slots, not latency: no deadline.
func TestFairHashingUnderFlood(t *testing.T) {
	type victim func(h *harness, turn int) response
	login := func(h *harness, _ int) response {
		return h.doFrom("198.51.100.50", "POST", "/api/login", "", map[string]string{"email": "victim@example.com", "password": "correct horse battery"})
	}
	loginOrSignUp := func(h *harness, turn int) response {
		if turn%2 == 0 {
			return login(h, turn)
		}
		return h.doFrom(fmt.Sprintf("198.51.101.%d", turn), "POST", "/api/users", "", signUpBody(fmt.Sprintf("newcomer%d@example.com", turn)))
	}
	flood := map[string]struct {
		send   func(h *harness, i, n int) response
		victim victim
	}{
		"correct logins of 4 accounts from one address": {func(h *harness, i, n int) response {
			return h.doFrom("203.0.113.90", "POST", "/api/login", "", map[string]string{"email": fmt.Sprintf("flood%d@example.com", i%4), "password": "correct horse battery"})
		}, login},
		"sign-ups from many /64s of one /48": {func(h *harness, i, n int) response {
			return h.doFrom(fmt.Sprintf("2001:db8:77:%x::1", i<<11|n&0x7ff), "POST", "/api/users", "", signUpBody(fmt.Sprintf("junk%d-%d@example.com", i, n)))
		}, loginOrSignUp},
	}
	for name, f := range flood {
		t.Run(name, func(t *testing.T) {
			h := newHarnessOn(t, sqliteTarget(t), realisticBcrypt, func(d *Deps) { d.HashConcurrency = 2 })
			h.api.guard.p.accountSuccesses, h.api.guard.p.clientVerifs = 1<<20, 1<<20
			for i := range 4 {
				h.expect(h.doFrom("203.0.113.90", "POST", "/api/users", "", signUpBody(fmt.Sprintf("flood%d@example.com", i))), http.StatusCreated, "")
			}
			h.expect(h.doFrom("198.51.100.50", "POST", "/api/users", "", signUpBody("victim@example.com")), http.StatusCreated, "")

			stop := make(chan struct{})
			var sent, hashed atomic.Int64
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					for n := 0; ; n++ {
						select {
						case <-stop:
							return
						default:
						}
						sent.Add(1)
						if r := f.send(h, i, n); r.status == http.StatusOK || r.status == http.StatusCreated {
							hashed.Add(1)
						} else {
							// Refused at once: re-sent after a pause that only
							// spares the shared test machine.
							time.Sleep(10 * time.Millisecond)
						}
					}
				})
			}
			// The flood is under way before the victim starts.
			for hashed.Load() < 8 && sent.Load() < 200 {
				time.Sleep(10 * time.Millisecond)
			}
			const logins = 40
			ok := 0
			others := map[int]int{}
			for turn := range logins {
				r := f.victim(h, turn)
				if r.status == http.StatusOK || r.status == http.StatusCreated {
					ok++
				} else {
					others[r.status]++
				}
				time.Sleep(250 * time.Millisecond)
			}
			close(stop)
			wg.Wait()
			t.Logf("victim: %d of %d succeeded (others %v); flood: %d requests, %d hashed", ok, logins, others, sent.Load(), hashed.Load())
			if ok*100 < 95*logins {
				t.Fatalf("victim: %d of %d logins or sign-ups succeeded (others %v) during the flood, want at least 95 %%", ok, logins, others)
			}
		})
	}
}
