package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/healthz", "", nil)
	if r.status != 200 || r.json(t)["status"] != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/readyz", "", nil)
	if r.status != 200 || r.json(t)["status"] != "ready" {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	h.draining.Store(true)
	h.expect(h.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable, "not_ready")
	// Draining only affects readiness: liveness and the API keep working.
	h.expect(h.do("GET", "/healthz", "", nil), http.StatusOK, "")
	h.expect(h.do("GET", "/api/version", "", nil), http.StatusOK, "")
}

// TestReadinessIgnoresDatabase: /readyz is the load balancer's check, so a
// database failure does not fail it (every task would be replaced at once);
// the deep check and the metric report it instead.
func TestReadinessIgnoresDatabase(t *testing.T) {
	h := newHarness(t)
	h.expect(h.do("GET", "/healthz/deep", "", nil), http.StatusOK, "")
	if m := string(h.do("GET", "/metrics", "", nil).body); !strings.Contains(m, "\nempctl_database_up 1\n") {
		t.Fatalf("metrics lack empctl_database_up 1:\n%s", m)
	}
	_ = h.store.Close()
	h.expect(h.do("GET", "/readyz", "", nil), http.StatusOK, "")
	r := h.do("GET", "/healthz/deep", "", nil)
	h.expect(r, http.StatusServiceUnavailable, "database_unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("deep check 503 without Retry-After")
	}
	if m := string(h.do("GET", "/metrics", "", nil).body); !strings.Contains(m, "\nempctl_database_up 0\n") {
		t.Fatalf("metrics lack empctl_database_up 0:\n%s", m)
	}
}

// TestVersionAndHeaders: the public version says the version and commit
// (the webapp shows them) but not which task answered, its zone, build time
// or Go version, which help an attacker aim; PUBLIC_DEBUG_INFO adds them.
func TestVersionAndHeaders(t *testing.T) {
	debug := newHarnessOn(t, sqliteTarget(t), func(d *Deps) { d.DebugInfo = true })
	r := debug.do("GET", "/api/version", "", nil)
	debug.expect(r, http.StatusOK, "")
	want := map[string]any{"version": "v9.9.9-test", "commit": "abc123", "buildTime": "2026-11-27T06:00:00Z",
		"goVersion": "go1.test", "platform": "linux/amd64", "instanceId": "test-instance", "availabilityZone": "eu-west-1a"}
	if got := r.json(t); fmt.Sprint(got) != fmt.Sprint(want) || r.header.Get("X-App-Instance") != "test-instance" {
		t.Fatalf("version with debug info = %v, X-App-Instance %q; want %v, test-instance", got, r.header.Get("X-App-Instance"), want)
	}

	h := newHarness(t)
	r = h.do("GET", "/api/version", "", nil)
	h.expect(r, http.StatusOK, "")
	want = map[string]any{"version": "v9.9.9-test", "commit": "abc123", "platform": "linux/amd64"}
	if got := r.json(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("version = %v, want %v", got, want)
	}
	// Success, 401, 404 under /api, 405, 400 and 415: every /api response.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/version", ""}, {"GET", "/api/me", ""}, {"GET", "/api/nope", ""}, {"DELETE", "/api/version", ""},
		{"POST", "/api/login", "{"}, {"POST", "/api/users", "text"},
	} {
		req, _ := http.NewRequest(c.method, h.http.URL+c.path, strings.NewReader(c.body))
		if c.body != "text" {
			req.Header.Set("Content-Type", "application/json")
		}
		r, path := h.send(req), c.method+" "+c.path
		if r.header.Get("X-App-Version") != "v9.9.9-test" || r.header.Values("X-App-Instance") != nil {
			t.Fatalf("%s: version headers %q %q", path, r.header.Get("X-App-Version"), r.header.Get("X-App-Instance"))
		}
		if len(r.header.Get("X-Request-Id")) != 16 {
			t.Fatalf("%s: X-Request-Id %q", path, r.header.Get("X-Request-Id"))
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("%s: Cache-Control %q", path, cc)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: Content-Type %q", path, ct)
		}
	}
	req, _ := http.NewRequest("GET", h.http.URL+"/api/version", nil)
	req.Header.Set("X-Request-Id", "lb-trace-42")
	if got := h.send(req).header.Get("X-Request-Id"); got != "lb-trace-42" {
		t.Fatalf("sane X-Request-Id not echoed: %q", got)
	}
	req.Header.Set("X-Request-Id", "evil\tid with spaces")
	if got := h.send(req).header.Get("X-Request-Id"); got == "evil\tid with spaces" || len(got) != 16 {
		t.Fatalf("insane X-Request-Id kept: %q", got)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	h := newHarness(t)
	h.expect(h.do("GET", "/api/nope", "", nil), http.StatusNotFound, "not_found")
	h.expect(h.do("GET", "/", "", nil), http.StatusNotFound, "not_found")
	r := h.do("DELETE", "/api/me", "", nil)
	h.expect(r, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") {
		t.Fatalf("Allow = %q", allow)
	}
	// A path that only a longer route's template matches with an empty
	// parameter (/api/users/{id}) is a path of its own to the drift check.
	r = h.do("GET", "/api/users", "", nil)
	h.expect(r, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := r.header.Get("Allow"); allow != "POST" {
		t.Fatalf("GET /api/users: Allow = %q, want POST", allow)
	}
}

func TestSignUp(t *testing.T) {
	h := newHarness(t)
	b := signUpBody("  Ada@Example.com ")
	b["firstName"] = "  Ada "
	r := h.do("POST", "/api/users", "", b)
	h.expect(r, http.StatusCreated, "")
	got := r.json(t)
	id := int64(got["id"].(float64))
	if r.header.Get("Location") != fmt.Sprintf("/api/users/%d", id) {
		t.Fatalf("Location = %q", r.header.Get("Location"))
	}
	want := fmt.Sprint(map[string]any{"id": float64(id), "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
		"birthDate": "1990-12-10", "age": float64(35), "createdAt": "2026-11-27T12:00:00Z"})
	if fmt.Sprint(got) != want {
		t.Fatalf("sign-up body = %v, want %v", got, want)
	}
	if strings.Contains(string(r.body), "password") {
		t.Fatalf("response mentions the password: %s", r.body)
	}

	r = h.do("POST", "/api/users", "", signUpBody("ADA@example.com"))
	h.expect(r, http.StatusConflict, "email_taken")
	if r.field(t, "email") == "" {
		t.Fatalf("email_taken without fields.email: %s", r.body)
	}

	// Names in any script (and emoji) are stored and returned as sent.
	b = signUpBody("zoe@example.com")
	b["firstName"], b["lastName"] = "Zoë 李 😀", "Ñúñez-Łukasz"
	r = h.do("POST", "/api/users", "", b)
	h.expect(r, http.StatusCreated, "")
	token := h.login("zoe@example.com", "correct horse battery")
	if got := h.do("GET", "/api/me", token, nil).json(t); got["firstName"] != "Zoë 李 😀" || got["lastName"] != "Ñúñez-Łukasz" {
		t.Fatalf("unicode names: %v", got)
	}
}

// TestBodyLimitBoundary: exactly 8 KiB is read; one byte more is 413.
func TestBodyLimitBoundary(t *testing.T) {
	h := newHarness(t)
	body := func(size int) string {
		prefix := `{"email":"a@example.com","password":"`
		return prefix + strings.Repeat("x", size-len(prefix)-2) + `"}`
	}
	r := h.do("POST", "/api/login", "", body(8<<10))
	h.expect(r, http.StatusUnauthorized, "invalid_credentials")
	r = h.do("POST", "/api/login", "", body(8<<10+1))
	h.expect(r, http.StatusRequestEntityTooLarge, "body_too_large")
	if msg := r.json(t)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "8 KiB") {
		t.Fatalf("413 message = %q, want it to name the limit", msg)
	}
}

func TestDummyHashCostsAsMuchAsARealOne(t *testing.T) {
	h := newHarness(t)
	if cost, err := bcrypt.Cost(h.api.dummyHash); err != nil || cost != h.api.deps.BcryptCost {
		t.Fatalf("dummy hash cost %d (%v), want %d: unknown emails would answer faster than wrong passwords", cost, err, h.api.deps.BcryptCost)
	}
}

func TestSignUpValidation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		field, value, msg string
	}{
		{"email", "", "required"},
		{"email", "not-an-email", "valid email"},
		{"email", "Ada <ada@example.com>", "valid email"},
		{"email", "ada@localhost", "valid email"},
		{"email", strings.Repeat("a", 250) + "@x.io", "254"},
		{"password", "", "required"},
		{"password", "short", "at least 8"},
		{"password", strings.Repeat("p", 73), "72"},
		{"firstName", "   ", "required"},
		{"firstName", strings.Repeat("é", 101), "100"},
		{"firstName", "Ada\x00", "control"},
		{"lastName", "Love\u0085lace", "control"},
		{"lastName", "Love\nlace", "control"},
		{"lastName", "", "required"},
		{"birthDate", "", "required"},
		{"birthDate", "10/12/1990", "YYYY-MM-DD"},
		{"birthDate", "1990-02-30", "YYYY-MM-DD"},
		{"birthDate", "1899-12-31", "1900"},
		{"birthDate", "2026-11-28", "future"},
	} {
		b := signUpBody("v@example.com")
		b[tc.field] = tc.value
		r := h.do("POST", "/api/users", "", b)
		h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
		if msg := r.field(t, tc.field); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s=%q: fields.%s = %q, want it to mention %q", tc.field, tc.value, tc.field, msg, tc.msg)
		}
	}
	// All problems are reported at once.
	r := h.do("POST", "/api/users", "", map[string]string{})
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	fields := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
	if len(fields) != 5 {
		t.Fatalf("empty sign-up reported %v", fields)
	}
	// The youngest accepted age is 13: a day short of it is refused, with
	// the reason, at sign-up and in PATCH /api/me.
	b := signUpBody("young@example.com")
	b["birthDate"] = "2013-11-28"
	r = h.do("POST", "/api/users", "", b)
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if msg := r.field(t, "birthDate"); !strings.Contains(msg, "13") {
		t.Fatalf("birthDate of a 12-year-old: %q, want the minimum age named", msg)
	}
	b["birthDate"] = "2013-11-27"
	h.expect(h.do("POST", "/api/users", "", b), http.StatusCreated, "")
	token := h.login("young@example.com", "correct horse battery")
	h.expect(h.do("PATCH", "/api/me", token, map[string]string{"birthDate": "2020-01-01"}), http.StatusUnprocessableEntity, "validation_failed")
}

// TestBodyErrors covers the decoding rules shared by every JSON endpoint.
func TestBodyErrors(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("body@example.com", "1990-01-01")
	for _, ep := range []struct{ method, path, token string }{
		{"POST", "/api/users", ""}, {"POST", "/api/login", ""}, {"PATCH", "/api/me", token}, {"PUT", "/api/me/password", token},
	} {
		t.Run(ep.method+ep.path, func(t *testing.T) {
			h := h.with(t)
			for _, tc := range []struct{ body, code string }{
				{`{"email": `, "invalid_json"},
				{`{"email": "a@b.io",}`, "invalid_json"},
				{`{"emial": "a@b.io"}`, "invalid_json"},
				{`{"Email": "a@b.io"}`, "invalid_json"},
				{`{"firstname": "Ada"}`, "invalid_json"},
				{`{"firstName": 42}`, "invalid_json"},
				{`[]`, "invalid_json"},
				{`"text"`, "invalid_json"},
				{`null`, "invalid_json"},
				{" null\n", "invalid_json"},
				{`{} {}`, "invalid_json"},
				{``, "invalid_json"},
			} {
				r := h.do(ep.method, ep.path, ep.token, tc.body)
				h.expect(r, http.StatusBadRequest, tc.code)
			}
			big := `{"firstName": "` + strings.Repeat("x", 1<<20) + `"}`
			h.expect(h.do(ep.method, ep.path, ep.token, big), http.StatusRequestEntityTooLarge, "body_too_large")

			for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
				req, _ := http.NewRequest(ep.method, h.http.URL+ep.path, strings.NewReader(`{}`))
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				if ep.token != "" {
					req.Header.Set("Authorization", "Bearer "+ep.token)
				}
				h.expect(h.send(req), http.StatusUnsupportedMediaType, "unsupported_media_type")
			}
		})
	}
	r := h.do("POST", "/api/login", "", `{"Email": "a@b.io", "password": "whatever1"}`)
	if msg := r.json(t)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, `"Email"`) || !strings.Contains(msg, "case-sensitive") {
		t.Fatalf("case mismatch message = %q", msg)
	}
	// A charset parameter is fine.
	req, _ := http.NewRequest("PATCH", h.http.URL+"/api/me", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	h.expect(h.send(req), http.StatusOK, "")
}

func TestLogin(t *testing.T) {
	h := newHarness(t)
	id, _ := h.user("ada@example.com", "1990-12-10")
	r := h.do("POST", "/api/login", "", map[string]string{"email": " ADA@example.com", "password": "correct horse battery"})
	h.expect(r, http.StatusOK, "")
	got := r.json(t)
	token := got["token"].(string)
	if len(token) != 43 {
		t.Fatalf("token %q is not 256 bits of base64url", token)
	}
	if got["expiresAt"] != "2026-11-28T12:00:00Z" {
		t.Fatalf("expiresAt = %v", got["expiresAt"])
	}
	if u := got["user"].(map[string]any); u["id"] != float64(id) || u["email"] != "ada@example.com" {
		t.Fatalf("user = %v", u)
	}
	// The token is stored only as its hash.
	var n int
	if err := h.store.DB().QueryRow(`SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, token).Scan(&n); err != nil || n != 0 {
		t.Fatalf("raw token found in the sessions table (%d, %v)", n, err)
	}

	wrong := h.do("POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "wrong password"})
	h.expect(wrong, http.StatusUnauthorized, "invalid_credentials")
	unknown := h.do("POST", "/api/login", "", map[string]string{"email": "nobody@example.com", "password": "wrong password"})
	h.expect(unknown, http.StatusUnauthorized, "invalid_credentials")
	if string(wrong.body) != string(unknown.body) {
		t.Fatalf("unknown email and wrong password differ:\n%s\n%s", wrong.body, unknown.body)
	}

	r = h.do("POST", "/api/login", "", map[string]string{"email": "ada@", "password": "x"})
	if h.expect(r, http.StatusUnprocessableEntity, "validation_failed"); r.field(t, "email") == "" {
		t.Fatalf("malformed email not reported: %s", r.body)
	}
	r = h.do("POST", "/api/login", "", map[string]string{"email": "", "password": ""})
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if r.field(t, "email") == "" || r.field(t, "password") == "" {
		t.Fatalf("missing fields not reported: %s", r.body)
	}
}

// TestLongPasswordsNeverMatch: bcrypt reads only 72 bytes, so without a
// length check "the stored 72-byte password + anything" would log in.
func TestLongPasswordsNeverMatch(t *testing.T) {
	h := newHarness(t)
	pw := strings.Repeat("p", 72)
	b := signUpBody("long@example.com")
	b["password"] = pw
	h.expect(h.do("POST", "/api/users", "", b), http.StatusCreated, "")
	token := h.login("long@example.com", pw)
	h.expect(h.do("POST", "/api/login", "", map[string]string{"email": "long@example.com", "password": pw + "x"}),
		http.StatusUnauthorized, "invalid_credentials")
	h.expect(h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": pw + "x", "newPassword": "a new passphrase"}),
		http.StatusForbidden, "invalid_credentials")
}

func TestLoginThrottling(t *testing.T) {
	h := newHarness(t)
	h.user("ada@example.com", "1990-12-10")
	bad := map[string]string{"email": "ada@example.com", "password": "wrong password"}
	for range 5 {
		h.expect(h.do("POST", "/api/login", "", bad), http.StatusUnauthorized, "invalid_credentials")
	}
	r := h.do("POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "correct horse battery"})
	h.expect(r, http.StatusTooManyRequests, "too_many_attempts")
	if r.header.Get("Retry-After") != "900" {
		t.Fatalf("Retry-After = %q, want 900", r.header.Get("Retry-After"))
	}
	h.clock.Advance(10 * time.Minute)
	r = h.do("POST", "/api/login", "", bad)
	if h.expect(r, http.StatusTooManyRequests, "too_many_attempts"); r.header.Get("Retry-After") != "300" {
		t.Fatalf("Retry-After = %q, want 300", r.header.Get("Retry-After"))
	}
	h.clock.Advance(5 * time.Minute)
	h.login("ada@example.com", "correct horse battery")
	// Success cleared the email's failures: five more are allowed again.
	for range 5 {
		h.expect(h.do("POST", "/api/login", "", bad), http.StatusUnauthorized, "invalid_credentials")
	}
	h.expect(h.do("POST", "/api/login", "", bad), http.StatusTooManyRequests, "too_many_attempts")
}

func TestLoginThrottlingPerClient(t *testing.T) {
	h := newHarness(t)
	h.user("ada@example.com", "1990-12-10")
	h.expect(h.do("POST", "/api/users", "", signUpBody("bob@example.com")), http.StatusCreated, "")
	// 20 failures over 20 different emails from one address: the address is
	// blocked, even for an account it never tried (but not for one that
	// signed in from it: TestSharedAddressKeepsItsUsers).
	for i := range 20 {
		h.expect(h.do("POST", "/api/login", "", map[string]string{"email": fmt.Sprintf("u%d@example.com", i), "password": "whatever1"}),
			http.StatusUnauthorized, "invalid_credentials")
	}
	h.expect(h.do("POST", "/api/login", "", map[string]string{"email": "bob@example.com", "password": "correct horse battery"}),
		http.StatusTooManyRequests, "too_many_attempts")
	// Behind the ALB the client is the last X-Forwarded-For entry.
	req, _ := http.NewRequest("POST", h.http.URL+"/api/login", strings.NewReader(`{"email":"bob@example.com","password":"correct horse battery"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "127.0.0.1, 203.0.113.9")
	h.expect(h.send(req), http.StatusOK, "")
}

func TestAuthRequired(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	routes := []struct{ method, path, body string }{
		{"GET", "/api/me", ""}, {"PATCH", "/api/me", "{}"}, {"PUT", "/api/me/password", "{}"},
		{"POST", "/api/logout", ""}, {"GET", "/api/users/1", ""},
	}
	for _, auth := range []string{"", "Bearer", "Bearer " + token[:42], "Basic " + token, "Bearer " + strings.Repeat("A", 43), "Bearer " + strings.Repeat("*", 43)} {
		for _, rt := range routes {
			req, _ := http.NewRequest(rt.method, h.http.URL+rt.path, strings.NewReader(rt.body))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			h.expect(h.send(req), http.StatusUnauthorized, "unauthorized")
		}
	}
	h.expect(h.do("GET", "/api/me", token, nil), http.StatusOK, "")
	// Expiry: the token dies after SESSION_TTL.
	h.clock.Advance(24*time.Hour - time.Second)
	h.expect(h.do("GET", "/api/me", token, nil), http.StatusOK, "")
	h.clock.Advance(time.Second)
	h.expect(h.do("GET", "/api/me", token, nil), http.StatusUnauthorized, "unauthorized")
}

func TestLogout(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	other := h.login("ada@example.com", "correct horse battery")
	r := h.do("POST", "/api/logout", token, nil)
	if h.expect(r, http.StatusNoContent, ""); len(r.body) != 0 {
		t.Fatalf("logout body %q", r.body)
	}
	h.expect(h.do("GET", "/api/me", token, nil), http.StatusUnauthorized, "unauthorized")
	h.expect(h.do("POST", "/api/logout", token, nil), http.StatusUnauthorized, "unauthorized")
	h.expect(h.do("GET", "/api/me", other, nil), http.StatusOK, "") // other sessions live on
}

func TestMe(t *testing.T) {
	h := newHarness(t)
	id, token := h.user("ada@example.com", "1990-12-10")
	got := h.do("GET", "/api/me", token, nil).json(t)
	want := fmt.Sprint(map[string]any{"id": float64(id), "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
		"birthDate": "1990-12-10", "age": float64(35), "createdAt": "2026-11-27T12:00:00Z"})
	if fmt.Sprint(got) != want {
		t.Fatalf("me = %v, want %v", got, want)
	}
}

func TestPatchMe(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	r := h.do("PATCH", "/api/me", token, map[string]string{"lastName": "  King ", "birthDate": "2010-06-01"})
	h.expect(r, http.StatusOK, "")
	if got := r.json(t); got["lastName"] != "King" || got["birthDate"] != "2010-06-01" || got["age"] != float64(16) || got["firstName"] != "Ada" {
		t.Fatalf("after PATCH: %v", got)
	}
	if got := h.do("GET", "/api/me", token, nil).json(t); got["lastName"] != "King" {
		t.Fatalf("PATCH not stored: %v", got)
	}
	h.expect(h.do("PATCH", "/api/me", token, `{}`), http.StatusOK, "")
	r = h.do("PATCH", "/api/me", token, `{"firstName": null}`)
	if h.expect(r, http.StatusOK, ""); r.json(t)["firstName"] != "Ada" {
		t.Fatalf("null changed the first name: %s", r.body)
	}
	h.expect(h.do("PATCH", "/api/me", token, `{"email": "x@example.com"}`), http.StatusBadRequest, "invalid_json")
	h.expect(h.do("PATCH", "/api/me", token, `{"password": "something long"}`), http.StatusBadRequest, "invalid_json")
	r = h.do("PATCH", "/api/me", token, map[string]string{"firstName": "", "birthDate": "3000-01-01"})
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if r.field(t, "firstName") == "" || r.field(t, "birthDate") == "" {
		t.Fatalf("fields missing: %s", r.body)
	}
}

func TestChangePassword(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	other := h.login("ada@example.com", "correct horse battery")

	r := h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "wrong one!", "newPassword": "a new passphrase"})
	h.expect(r, http.StatusForbidden, "invalid_credentials")
	if r.field(t, "currentPassword") == "" {
		t.Fatalf("no fields.currentPassword: %s", r.body)
	}
	r = h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "", "newPassword": "short"})
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if r.field(t, "currentPassword") == "" || r.field(t, "newPassword") == "" {
		t.Fatalf("fields missing: %s", r.body)
	}

	r = h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "correct horse battery", "newPassword": "a new passphrase"})
	h.expect(r, http.StatusNoContent, "")
	h.expect(h.do("GET", "/api/me", token, nil), http.StatusOK, "")
	h.expect(h.do("GET", "/api/me", other, nil), http.StatusUnauthorized, "unauthorized")
	h.expect(h.do("POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "correct horse battery"}),
		http.StatusUnauthorized, "invalid_credentials")
	h.login("ada@example.com", "a new passphrase")
}

func TestChangePasswordThrottled(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	bad := map[string]string{"currentPassword": "guess guess", "newPassword": "a new passphrase"}
	for range 5 {
		h.expect(h.do("PUT", "/api/me/password", token, bad), http.StatusForbidden, "invalid_credentials")
	}
	h.expect(h.do("PUT", "/api/me/password", token, bad), http.StatusTooManyRequests, "too_many_attempts")
}

func TestPublicProfile(t *testing.T) {
	h := newHarness(t)
	adult, token := h.user("ada@example.com", "1990-12-10")
	minor, _ := h.user("tim@example.com", "2010-06-01")

	for _, id := range []int64{adult, minor} {
		r := h.do("GET", fmt.Sprintf("/api/users/%d", id), token, nil)
		h.expect(r, http.StatusOK, "")
		// The exact body: a minor's profile has the adult's shape, and no
		// field from the birth date (age, a minor notice) or private data.
		if want := fmt.Sprintf(`{"id":%d,"firstName":"Ada","lastInitial":"L"}`+"\n", id); string(r.body) != want {
			t.Errorf("user %d: %s, want %s", id, r.body, want)
		}
	}
	for _, id := range []string{"999999", "0", "-1", "abc", "1.5", "99999999999999999999", "+1", "01", "%201"} {
		h.expect(h.do("GET", "/api/users/"+id, token, nil), http.StatusNotFound, "not_found")
	}
}

// TestPublicProfileSameOnEitherSideOfABirthday: reading a profile daily must
// not reveal the birth date, so nothing in it may change on a birthday, the
// 18th included (finding 9 of issue 19).
func TestPublicProfileSameOnEitherSideOfABirthday(t *testing.T) {
	h := newHarness(t) // today is 2026-11-27, 12:00 UTC
	_, token := h.user("ada@example.com", "1990-12-10")
	adult, _ := h.user("bob@example.com", "1990-11-28")
	eighteenTomorrow, _ := h.user("eve@example.com", "2008-11-28")
	paths := []string{fmt.Sprintf("/api/users/%d", adult), fmt.Sprintf("/api/users/%d", eighteenTomorrow)}
	before := map[string]string{}
	for _, p := range paths {
		r := h.do("GET", p, token, nil)
		h.expect(r, http.StatusOK, "")
		before[p] = string(r.body)
	}
	h.clock.Advance(13 * time.Hour) // 2026-11-28 01:00 UTC: both birthdays, within the session's day
	for _, p := range paths {
		r := h.do("GET", p, token, nil)
		h.expect(r, http.StatusOK, "")
		if string(r.body) != before[p] {
			t.Errorf("GET %s changed on the birthday:\nbefore %s\nafter  %s", p, before[p], r.body)
		}
	}
	if before[paths[0]] == before[paths[1]] {
		t.Fatalf("two users' profiles are identical, so the test proves nothing: %s", before[paths[0]])
	}
}

// TestDatabaseFailureIsUnavailable: a database error is never a 500: the
// client gets 503 with Retry-After, the cause goes to the log only.
func TestDatabaseFailureIsUnavailable(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	_ = h.store.Close()
	r := h.do("GET", "/api/me", token, nil)
	h.expect(r, http.StatusServiceUnavailable, "database_unavailable")
	if r.header.Get("Retry-After") != "5" {
		t.Fatalf("Retry-After = %q, want 5", r.header.Get("Retry-After"))
	}
	if strings.Contains(string(r.body), "closed") {
		t.Fatalf("internal details leaked to the client: %s", r.body)
	}
	if !strings.Contains(h.logs.String(), `"err":"database unavailable: sql: `) {
		t.Fatalf("cause not logged:\n%s", h.logs.String())
	}
	h.expect(h.do("POST", "/api/users", "", signUpBody("new@example.com")), http.StatusServiceUnavailable, "database_unavailable")
	h.expect(h.do("POST", "/api/login", "", map[string]string{"email": "a@b.io", "password": "whatever1"}), http.StatusServiceUnavailable, "database_unavailable")
}

func TestLogsNeverHoldSecrets(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "correct horse battery", "newPassword": "a new passphrase"})
	h.do("GET", "/api/me", token, nil)
	logs := h.logs.String()
	for _, secret := range []string{token, "correct horse battery", "a new passphrase", "$2a$"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`"msg":"request"`, `"route":"GET /api/me"`, `"status":200`, `"request_id":"`, `"duration_ms":`, `"method":"GET"`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log lacks %s:\n%s", want, logs)
		}
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	h.do("GET", "/healthz", "", nil)
	h.do("GET", "/api/nope", "", nil)
	r := h.do("GET", "/metrics", "", nil)
	h.expect(r, http.StatusOK, "")
	body := string(r.body)
	for _, want := range []string{
		`http_requests_total{code="200",route="GET /healthz"} 1`,
		`http_requests_total{code="404",route="unmatched"} 1`,
		`http_request_duration_seconds_bucket{code="200",route="GET /healthz",le="0.005"}`,
		`http_requests_in_flight 1`,
		`go_sql_open_connections{db_name="empctl"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestPanicIsInternal(t *testing.T) {
	h := newHarness(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	rec := newRecorder()
	h.api.middleware(mux).ServeHTTP(rec, mustRequest(t, "GET", "/boom"))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(h.logs.String(), `"msg":"panic"`) {
		t.Fatalf("panic not logged")
	}
}

// A sign-up sent again with the same Idempotency-Key (a load balancer
// replaying it after the replica that applied it died) answers as the first
// did; the key never lets another sign-up take the email.
func TestSignUpReplayWithIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	signUp := func(email, key string) response {
		b, _ := json.Marshal(signUpBody(email))
		req, err := http.NewRequest("POST", h.http.URL+"/api/users", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		return h.send(req)
	}
	first := signUp("ada@example.com", "k-1")
	h.expect(first, http.StatusCreated, "")
	again := signUp("ada@example.com", "k-1")
	h.expect(again, http.StatusCreated, "")
	if string(again.body) != string(first.body) || again.header.Get("Location") != first.header.Get("Location") {
		t.Fatalf("the replay answered %s (%s), the first %s (%s)", again.body, again.header.Get("Location"), first.body, first.header.Get("Location"))
	}
	h.expect(signUp("ada@example.com", "k-2"), http.StatusConflict, "email_taken")
	h.expect(signUp("ada@example.com", ""), http.StatusConflict, "email_taken")
	h.expect(signUp("bob@example.com", "k-1"), http.StatusCreated, "") // keys are per sign-up, not global
	h.expect(signUp("eve@example.com", strings.Repeat("k", 256)), http.StatusBadRequest, "invalid_idempotency_key")
}

// A replayed sign-up whose replay lookup fails (the database goes away right
// after refusing the duplicate) answers 503, so the client retries, not 409
// email_taken: the account is the client's own.
func TestSignUpReplayDuringDatabaseHiccup(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, cfg.Addr)
	cfg.Addr = proxy.addr()
	h := newHarnessOn(t, store.Target{Driver: "mysql", DSN: cfg.FormatDSN(), Timeout: 5 * time.Second})
	signUp := func() response {
		b, _ := json.Marshal(signUpBody("ada@example.com"))
		req, err := http.NewRequest("POST", h.http.URL+"/api/users", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "k-1")
		return h.send(req)
	}
	h.expect(signUp(), http.StatusCreated, "")
	proxy.downAfter("Duplicate entry") // MySQL's answer to the replay's INSERT
	res := signUp()
	h.expect(res, http.StatusServiceUnavailable, "database_unavailable")
	if res.header.Get("Retry-After") == "" {
		t.Error("the 503 has no Retry-After")
	}
}
