package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The penetration test's "what held" list, kept as tests beside the fixes.

// TestConcurrentSignUpOfOneAddress: one account, whatever the spelling.
func TestConcurrentSignUpOfOneAddress(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), manySlots)
	spellings := []string{"same@example.com", "SAME@example.com", " same@example.com ", "ｓａｍｅ@example.com", "same＠example.com"}
	rs := burst(20, func(i int) response {
		return h.doFrom(fmt.Sprintf("203.0.113.%d", i), "POST", "/api/users", "", signUpBody(spellings[i%len(spellings)]))
	})
	if got := statuses(rs); got[http.StatusCreated] != 1 || got[http.StatusConflict] != 19 {
		t.Fatalf("20 concurrent sign-ups of one address: %v, want one 201 and 19 × 409", got)
	}
}

// TestHostileRequestsNeverFail: 1,200 hostile requests, none answered 5xx,
// and no secret in the log.
func TestHostileRequestsNeverFail(t *testing.T) {
	h := newHarness(t)
	_, token := h.user("ada@example.com", "1990-12-10")
	bodies := append([]string{}, fuzzBodies...)
	bodies = append(bodies,
		`{"email":"`+strings.Repeat("a", 300)+`@x.io","password":"correct horse battery"}`,
		`{"email":"ada@example.com","password":"`+strings.Repeat("p", 5000)+`"}`,
		`{"firstName":"`+strings.Repeat("\u202e", 50)+`"}`,
		`{"email":"ada@example.com\u0000","password":"correct horse battery"}`,
		`{"currentPassword":"correct horse battery","newPassword":"`+strings.Repeat(" ", 20)+`"}`,
		`{"birthDate":"2010-02-29'; DROP TABLE users; --"}`,
		`{"email":"' OR 1=1 --@x.io","password":"' OR '1'='1"}`,
		"{\"firstName\":\"\xff\xfe\"}",
	)
	routes := []struct{ method, path, token string }{
		{"POST", "/api/users", ""}, {"POST", "/api/login", ""}, {"PATCH", "/api/me", token},
		{"PUT", "/api/me/password", token}, {"GET", "/api/users/1%00", token}, {"GET", "/api/users/../../etc/passwd", token},
		{"POST", "/api/logout", "x" + token[1:]},
	}
	headers := []map[string]string{
		{}, {"X-Forwarded-For": "127.0.0.1, ::1, garbage, 999.1.1.1"}, {"CloudFront-Viewer-Address": "[::1]:99999"},
		{"X-Request-Id": strings.Repeat("\u00e9", 40)}, {"Content-Type": "application/json; charset=latin1"},
	}
	n := 0
	for n < 1200 {
		for _, rt := range routes {
			for _, b := range bodies {
				hd := headers[n%len(headers)]
				req, _ := http.NewRequest(rt.method, h.http.URL+rt.path, strings.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				if rt.token != "" {
					req.Header.Set("Authorization", "Bearer "+rt.token)
				}
				for k, v := range hd {
					req.Header.Set(k, v)
				}
				if r := h.send(req); r.status >= 500 {
					t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, b, r.status, r.body)
				}
				if n++; n == 1200 {
					break
				}
			}
		}
	}
	logs := h.logs.String()
	for _, secret := range []string{token, "correct horse battery", "$2a$"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret %q", secret)
		}
	}
}
