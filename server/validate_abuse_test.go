package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestLookAlikeEmails: with alice@example.com taken, no look-alike becomes a
// second account: it is either the same address after normalisation (409)
// or refused (422).
func TestLookAlikeEmails(t *testing.T) {
	h := newHarness(t)
	h.user("alice@example.com", "1990-12-10")
	h.user("josé@example.com", "1990-12-10")
	for _, tc := range []struct {
		name, email string
		status      int
	}{
		{"zero-width space", "alice\u200b@example.com", http.StatusUnprocessableEntity},
		{"byte-order mark", "\ufeffalice@example.com", http.StatusUnprocessableEntity},
		{"right-to-left override", "\u202ealice@example.com", http.StatusUnprocessableEntity},
		{"soft hyphen", "al\u00adice@example.com", http.StatusUnprocessableEntity},
		{"Hangul filler", "alice\u3164@example.com", http.StatusUnprocessableEntity},
		{"Cyrillic а", "\u0430lice@example.com", http.StatusUnprocessableEntity},
		{"Greek ο in the domain", "alice@example.c\u03bfm", http.StatusUnprocessableEntity},
		{"fullwidth letters", "ａｌｉｃｅ@example.com", http.StatusConflict},
		{"fullwidth at sign", "alice＠example.com", http.StatusConflict},
		{"upper case", "ALICE@EXAMPLE.COM", http.StatusConflict},
		{"decomposed accent", "jose\u0301@example.com", http.StatusConflict},
	} {
		r := h.do("POST", "/api/users", "", signUpBody(tc.email))
		if r.status != tc.status {
			t.Errorf("%s (%q): %d, want %d: %s", tc.name, tc.email, r.status, tc.status, r.body)
		}
	}
	// Addresses wholly in another script are real addresses, even one that
	// looks like a Latin address taken (an accepted risk: server/README.md).
	h.expect(h.do("POST", "/api/users", "", signUpBody("алиса@пример.рф")), http.StatusCreated, "")
	h.user("casey@ecoshop.co", "1990-12-10")
	h.expect(h.do("POST", "/api/users", "", signUpBody("\u0441\u0430\u0455\u0435\u0443@\u0435\u0441\u043e\u0455\u04bb\u043e\u0440.\u0441\u043e")), http.StatusCreated, "")
	// Login normalises the same way.
	h.login("ａｌｉｃｅ@example.com", "correct horse battery")
	h.login("jose\u0301@example.com", "correct horse battery")
}

func TestNamesRejectInvisibleCharacters(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ name, value, msg string }{
		{"only a zero-width space", "\u200b", "invisible"},
		{"right-to-left override", "Ada\u202eecalevoL", "invisible"},
		{"left-to-right isolate", "\u2066Ada", "invisible"},
		{"only a Hangul filler", "\u3164", "invisible"},
		{"stray zero-width joiner", "\u200dAda", "invisible"},
		{"line separator", "Ada\u2028Lovelace", "separator"},
		{"paragraph separator", "A\u2029da", "separator"},
		{"punctuation only", "---", "letter or digit"},
		{"emoji only", "😀", "letter or digit"},
	} {
		b := signUpBody("n@example.com")
		b["lastName"] = tc.value
		r := h.do("POST", "/api/users", "", b)
		h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
		if msg := r.field(t, "lastName"); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: fields.lastName = %q, want it to mention %q", tc.name, msg, tc.msg)
		}
	}
	// Joiners where scripts and emoji need them stay allowed.
	for i, name := range []string{"مهر\u200cناز", "Ada 👩\u200d💻", "❤\ufe0f Ada", "O'Brien-Łukasz", "李"} {
		b := signUpBody(string(rune('a'+i)) + "ok@example.com")
		b["firstName"] = name
		h.expect(h.do("POST", "/api/users", "", b), http.StatusCreated, "")
	}
	// PATCH applies the same rules.
	_, token := h.user("p@example.com", "1990-12-10")
	h.expect(h.do("PATCH", "/api/me", token, map[string]string{"firstName": "\u200b"}), http.StatusUnprocessableEntity, "validation_failed")
}

// TestWeakPasswords follows NIST SP 800-63B.
func TestWeakPasswords(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ pw, msg string }{
		{"12345678", "common"},
		{"Password1", "common"},
		{"iloveyou", "common"},
		{"        ", "spaces"},
		{"\t \u3000 \u00a0   ", "spaces"},
		{"ééééééé", "at least 8"},
		{"weak@example.com", "email"},
		{"WEAK", "at least 8"},
	} {
		b := signUpBody("weak@example.com")
		b["password"] = tc.pw
		r := h.do("POST", "/api/users", "", b)
		h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
		if msg := r.field(t, "password"); !strings.Contains(msg, tc.msg) {
			t.Errorf("%q: fields.password = %q, want it to mention %q", tc.pw, msg, tc.msg)
		}
	}
	// Eight characters of any kind are enough, counted as characters.
	b := signUpBody("weak@example.com")
	b["password"] = "éèêëēėęě"
	h.expect(h.do("POST", "/api/users", "", b), http.StatusCreated, "")
	token := h.login("weak@example.com", "éèêëēėęě")
	r := h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": "éèêëēėęě", "newPassword": "qwertyuiop"})
	if h.expect(r, http.StatusUnprocessableEntity, "validation_failed"); !strings.Contains(r.field(t, "newPassword"), "common") {
		t.Fatalf("password change to a common password: %s", r.body)
	}
}
