package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// TestSignUpReplayIsBoundToTheRequest: an Idempotency-Key replays a sign-up
// only for the identical request (fields and password) within 24 hours;
// anything else is 409 email_taken and shows nothing of the account. Before,
// the e-mail and the key were enough: the first sign-up's profile (last name,
// birth date) went to whoever sent them, and an attacker who registered an
// address first with a guessed key made its owner's sign-up answer 201.
func TestSignUpReplayIsBoundToTheRequest(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { signUpReplayBound(t, newHarnessOn(t, sqliteTarget(t))) })
	t.Run("mariadb", func(t *testing.T) {
		signUpReplayBound(t, newHarnessOn(t, store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)}))
	})
}

func signUpReplayBound(t *testing.T, h *harness) {
	signUp := func(body map[string]string, key string) response {
		b, _ := json.Marshal(body)
		req, err := http.NewRequest("POST", h.http.URL+"/api/users", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		return h.send(req)
	}
	refused := func(what string, r response, secrets ...string) {
		t.Helper()
		if r.status != http.StatusConflict || r.errorCode(t) != "email_taken" {
			t.Fatalf("%s: %d %s, want 409 email_taken", what, r.status, r.body)
		}
		for _, s := range secrets {
			if strings.Contains(string(r.body), s) {
				t.Fatalf("%s: the answer shows %q: %s", what, s, r.body)
			}
		}
	}

	owner := signUpBody("ada@example.com")
	owner["birthDate"] = "2010-03-04" // a minor: her last name is not public
	first := signUp(owner, "k-1")
	h.expect(first, http.StatusCreated, "")
	again := signUp(owner, "k-1")
	h.expect(again, http.StatusCreated, "")
	if !bytes.Equal(again.body, first.body) {
		t.Fatalf("the identical replay answered %s, the first %s", again.body, first.body)
	}

	// The same e-mail and key from someone else, with other values.
	for field, value := range map[string]string{"password": "someone else's passphrase", "firstName": "Eve",
		"lastName": "Mallory", "birthDate": "1980-01-01"} {
		other := map[string]string{}
		for k, v := range owner {
			other[k] = v
		}
		other[field] = value
		refused("the key with another "+field, signUp(other, "k-1"), "Lovelace", "2010-03-04")
	}

	// After the owner changed her password, the old request is no longer hers.
	token := h.login(owner["email"], owner["password"])
	h.expect(h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": owner["password"],
		"newPassword": "another long passphrase"}), http.StatusNoContent, "")
	refused("the replay after a password change", signUp(owner, "k-1"), "Lovelace", "2010-03-04")

	// A replay is answered for 24 hours only.
	late := signUpBody("late@example.com")
	h.expect(signUp(late, "k-late"), http.StatusCreated, "")
	h.clock.Advance(24*time.Hour + time.Minute)
	refused("the replay after 24 hours", signUp(late, "k-late"))

	// The attacker registers the victim's address first with the key he
	// guesses she will use; her own sign-up must not answer 201 for an
	// account she cannot sign in to.
	victim := signUpBody("victim@example.com")
	attacker := map[string]string{"email": victim["email"], "password": "the attacker's passphrase",
		"firstName": "Mallory", "lastName": "Attacker", "birthDate": "1970-01-01"}
	guessed := "victim" // the local part, as verify-zero-downtime used
	h.expect(signUp(attacker, guessed), http.StatusCreated, "")
	refused("the victim's sign-up after the attacker's", signUp(victim, guessed), "Attacker", "1970-01-01")
}
