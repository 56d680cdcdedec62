package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/empctl/empctl/server/store"
)

// maxIdempotencyKey bounds the Idempotency-Key header, as UUIDs and similar keys need.
const maxIdempotencyKey = 255

// replayLifetime is how long a sign-up's Idempotency-Key answers a replay.
const replayLifetime = 24 * time.Hour

// signUpKey returns the SHA-256 hex of the request's Idempotency-Key bound to
// the normalised request (all but the password, which isReplay checks
// against the account's bcrypt hash), or "" without a key. Only this hash is
// stored, so the same key with any other e-mail, name or birth date never
// finds the first sign-up's account.
func signUpKey(r *http.Request, q *signUpRequest) (string, *apiError) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > maxIdempotencyKey {
		return "", &apiError{Status: http.StatusBadRequest, Code: "invalid_idempotency_key", Message: "the Idempotency-Key header is longer than 255 characters"}
	}
	canonical, err := json.Marshal([]string{k, q.Email, q.FirstName, q.LastName, q.BirthDate})
	if err != nil {
		panic(err) // strings always marshal
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// isReplay tells whether a sign-up whose key and fields match prev's is that
// sign-up sent again: made within replayLifetime and with the password the
// account still has. Otherwise the caller answers email_taken, so a replay
// never shows an account to someone who does not hold its password.
func (s *api) isReplay(r *http.Request, prev store.User, password string, now time.Time) (bool, *apiError) {
	if now.Sub(prev.CreatedAt) > replayLifetime {
		return false, nil
	}
	return s.verifyPassword(r.Context(), []byte(prev.PasswordHash), password)
}
