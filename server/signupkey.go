package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/empctl/empctl/server/store"
)

// maxIdempotencyKey bounds the Idempotency-Key header, as UUIDs and similar keys need.
const maxIdempotencyKey = 255

// replayLifetime is how long a sign-up's Idempotency-Key answers a replay.
const replayLifetime = 24 * time.Hour

// signUpKey returns the SHA-256 hex of the request's Idempotency-Key, or ""
// without one. Only the hash is stored, as with session tokens.
func signUpKey(r *http.Request) (string, *apiError) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > maxIdempotencyKey {
		return "", &apiError{Status: http.StatusBadRequest, Code: "invalid_idempotency_key", Message: "the Idempotency-Key header is longer than 255 characters"}
	}
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:]), nil
}

// isReplay tells whether the (normalised) sign-up q, which found prev under
// its e-mail and key, is that sign-up sent again: the same password (checked
// against the account's bcrypt hash), names and birth date, within
// replayLifetime. Otherwise the caller answers email_taken, so a replay never
// shows an account to someone who does not hold its password. The password
// is checked whatever the rest says, so timing does not tell a guess at the
// names or birth date right.
func (s *api) isReplay(r *http.Request, prev store.User, q *signUpRequest, now time.Time) (bool, *apiError) {
	tk, refused := s.hashes.admit(s.client(r))
	if refused != nil {
		return false, refused
	}
	defer tk.done()
	ok, e := s.verifyPassword(r.Context(), tk, []byte(prev.PasswordHash), q.Password)
	if e != nil || !ok {
		return false, e
	}
	return now.Sub(prev.CreatedAt) <= replayLifetime && prev.FirstName == q.FirstName &&
		prev.LastName == q.LastName && prev.BirthDate == q.BirthDate, nil
}
