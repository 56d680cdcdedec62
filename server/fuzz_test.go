package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// fuzzBodies seeds every decoding fuzz target; `go test` runs them as
// ordinary tests, `go test -fuzz FuzzX ./server/` explores from them.
var fuzzBodies = []string{
	`{"email":"ada@example.com","password":"correct horse battery","firstName":"Ada","lastName":"Lovelace","birthDate":"1990-12-10"}`,
	`{"email":"a@b.io","password":"x"}`,
	`{"firstName":"  Ada ","lastName":null,"birthDate":"2010-02-29"}`,
	`{"currentPassword":"a","newPassword":"b"}`,
	`{}`, `[]`, `null`, `"x"`, `0`, ``, `{`, `{"email":`, `{} {}`, `{"a":1}`,
	`{"email":"\u0000@x.io","password":"\ud800"}`,
	`{"birthDate":"9999-12-31"}`, `{"birthDate":"0000-01-01"}`, `{"birthDate":"1990-1-1"}`,
	`{"firstName":"` + "\xff\xfe" + `"}`,
	`{"email":["a"],"password":{"x":1},"firstName":true,"lastName":1e400}`,
	`{"email":"a@b.io","email":"c@d.io","password":"dup keys count as the last"}`,
}

// fuzzEndpoint sends each body to one endpoint straight through the handler
// and fails on a 5xx (the middleware turns a panic into a 500).
func fuzzEndpoint(f *testing.F, method, path string, auth bool) {
	for _, b := range fuzzBodies {
		f.Add([]byte(b))
	}
	h := newHarness(f)
	token := ""
	if auth {
		_, token = h.user("fuzz@example.com", "1990-01-01")
	}
	var n atomic.Uint32
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		// A new client address each time, or after 20 failed logins every
		// input would stop at the throttle and the fuzzer would explore nothing.
		c := n.Add(1)
		req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4242", byte(c>>16), byte(c>>8), byte(c))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.srv.ServeHTTP(rec, req)
		if rec.Code >= http.StatusInternalServerError {
			t.Fatalf("%s %s with body %q: %d %s\n%s", method, path, body, rec.Code, rec.Body, h.logs.String())
		}
	})
}

func FuzzSignUp(f *testing.F)        { fuzzEndpoint(f, "POST", "/api/users", false) }
func FuzzLogin(f *testing.F)         { fuzzEndpoint(f, "POST", "/api/login", false) }
func FuzzProfileUpdate(f *testing.F) { fuzzEndpoint(f, "PATCH", "/api/me", true) }

// TestFuzzSeedsOnMariaDB sends the seed bodies to a server on MariaDB, whose
// strict mode rejects some values SQLite stores (invalid UTF-8, overlong text).
func TestFuzzSeedsOnMariaDB(t *testing.T) {
	h := newHarnessOn(t, store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)})
	_, token := h.user("fuzz@example.com", "1990-01-01")
	for _, ep := range []struct{ method, path, token string }{
		{"POST", "/api/users", ""}, {"POST", "/api/login", ""}, {"PATCH", "/api/me", token},
	} {
		for _, body := range append(fuzzBodies,
			`{"email":"x@example.com","password":"long enough","firstName":"`+strings.Repeat("😀", 100)+`","lastName":"Ü","birthDate":"2000-02-29"}`) {
			r := h.do(ep.method, ep.path, ep.token, body)
			if r.status >= 500 {
				t.Errorf("%s %s %q: %d %s", ep.method, ep.path, body, r.status, r.body)
			}
		}
	}
}
