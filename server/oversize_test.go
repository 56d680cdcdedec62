package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// countNormalizations counts the e-mail normalisations until the test ends.
func countNormalizations(t *testing.T) *atomic.Int64 {
	var n atomic.Int64
	orig := normalize
	normalize = func(s string) string { n.Add(1); return orig(s) }
	t.Cleanup(func() { normalize = orig })
	return &n
}

// TestHugeEmailIsRefusedBeforeNormalising: a 1 MB login or sign-up whose
// e-mail is U+FDFA repeated (NFKC turns each into 18 characters) cost about
// half a second of CPU before any limit. Now the body is refused unread past
// 8 KiB, and an e-mail too long to be valid in any form is refused without
// being normalised.
func TestHugeEmailIsRefusedBeforeNormalising(t *testing.T) {
	h := newHarness(t)
	n := countNormalizations(t)
	for _, path := range []string{"/api/login", "/api/users"} {
		body := func(emailRunes int) map[string]string {
			b := signUpBody(strings.Repeat("\uFDFA", emailRunes) + "@example.com")
			if path == "/api/login" {
				return map[string]string{"email": b["email"], "password": b["password"]}
			}
			return b
		}
		huge := body(340_000) // 1 MB of UTF-8, under the old 1 MiB limit
		if b, _ := json.Marshal(huge); len(b) < 1_000_000 {
			t.Fatalf("the body is %d bytes, want 1 MB", len(b))
		}
		h.expect(h.do("POST", path, "", huge), http.StatusRequestEntityTooLarge, "body_too_large")

		// Within the body limit, but over what any address normalises to.
		r := h.do("POST", path, "", body(maxRawEmailBytes/3))
		h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
		if got := r.field(t, "email"); got != "must be at most 254 characters" {
			t.Fatalf("%s: email error %q", path, got)
		}
	}
	if got := n.Load(); got != 0 {
		t.Fatalf("%d e-mails normalised, want none", got)
	}

	// The bound loses nothing: the longest valid address, written in
	// 4-byte mathematical letters (normalised to ASCII), still signs up.
	local := strings.Repeat("\U0001D41A", 64) // 𝐚, "a" once normalised
	domain := strings.Repeat("\U0001D41B", 63) + "." + strings.Repeat("\U0001D41C", 63) + "." + strings.Repeat("\U0001D41D", 58) + ".io"
	r := h.do("POST", "/api/users", "", signUpBody(local+"@"+domain))
	h.expect(r, http.StatusCreated, "")
	if got := r.json(t)["email"].(string); len(got) != 254 {
		t.Fatalf("signed up as %q (%d bytes), want the 254-byte ASCII form", got, len(got))
	}
}

// BenchmarkHugeEmailLogin: the server's cost of the 1 MB U+FDFA login body
// (about half a second of CPU each before the body limit). Run with
// go test -run '^$' -bench HugeEmailLogin -benchtime 20x ./server/
func BenchmarkHugeEmailLogin(b *testing.B) {
	h := newHarness(b)
	body, _ := json.Marshal(map[string]string{"email": strings.Repeat("\uFDFA", 340_000) + "@example.com", "password": "x"})
	for b.Loop() {
		req, err := http.NewRequest("POST", h.http.URL+"/api/login", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if r := h.send(req); r.status != http.StatusRequestEntityTooLarge {
			b.Fatalf("status %d", r.status)
		}
	}
}
