package trafficmix

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// secret returns 32 random hex characters from crypto/rand: the test users'
// password, and the discarded one that locks them. It is never printed,
// logged or written anywhere, and owes nothing to the marker.
func secret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// lockTimeout bounds the locking of a run's users, which goes on after
// Ctrl-C: a few requests per user, retried, on an environment that may be
// failing.
const lockTimeout = 2 * time.Minute

// Lock locks every user of the run, with a context of its own: the run's may
// be cancelled (Ctrl-C) or expired. Call it once the load has stopped (no
// sign-up may follow the lock) and the audit is done.
func (m *Mix) Lock(ctx context.Context) (locked, accounts int) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockTimeout)
	defer cancel()
	var others []string
	if m.readerToken != "" {
		others = append(others, m.readerToken)
	}
	return m.writes.lockAccounts(lctx, m.api, others...)
}

// lockAccounts locks every user the run created, once the audit is done: it
// sets each one's password to a fresh random value nobody keeps (PUT
// /api/me/password, which revokes the user's other sessions) and signs the
// run's own session out, so that no one can sign in as the accounts a
// verification leaves behind. Best effort, with the audit client's retries;
// it returns how many of how many accounts were locked. others are the
// tokens of the run's users that are not writers (the reader).
func (w *writes) lockAccounts(ctx context.Context, api *client, others ...string) (locked, accounts int) {
	w.mu.Lock()
	tokens := append([]string(nil), others...)
	for _, u := range w.writers {
		if !slices.Contains(tokens, u.token) { // a shared reader is a writer too
			tokens = append(tokens, u.token)
		}
	}
	signUps := w.signUps
	w.mu.Unlock()

	for _, tok := range tokens {
		accounts++
		if api.lock(ctx, tok, w.password) {
			locked++
		}
	}
	// The load's sign-ups: any may have been stored, acknowledged or not.
	for i := 1; i <= signUps; i++ {
		email := fmt.Sprintf("%s-s%d@example.com", w.marker, i)
		var login struct {
			Token string `json:"token"`
		}
		code, err := api.do(ctx, http.MethodPost, "/api/login", nil, map[string]string{"email": email, "password": w.password}, &login)
		if err == nil && code == http.StatusUnauthorized {
			continue // never stored (its answer was a failure): nothing to lock
		}
		accounts++
		if err == nil && login.Token != "" && api.lock(ctx, login.Token, w.password) {
			locked++
		}
	}
	return locked, accounts
}

// lock replaces the password of the token's user with a discarded random one
// and signs the token out. A retried change whose first attempt went through
// answers 403 (the current password is no longer the run's): locked all the
// same, since no one knows the password any more.
func (c *client) lock(ctx context.Context, token, password string) bool {
	fresh, err := secret()
	if err != nil {
		return false
	}
	code, err := c.do(ctx, http.MethodPut, "/api/me/password", bearer(token), map[string]string{"currentPassword": password, "newPassword": fresh}, nil)
	if err != nil {
		return false
	}
	// The change keeps the session it was made with: end it.
	_, _ = c.do(ctx, http.MethodPost, "/api/logout", bearer(token), nil, nil)
	return code == http.StatusNoContent || code == http.StatusForbidden
}
