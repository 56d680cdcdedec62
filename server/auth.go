package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/server/store"
)

// tokenLen is the length of a base64url (unpadded) 32-byte token.
const tokenLen = 43

// newToken returns a 256-bit random bearer token and the hash that is stored.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand panics on a broken system)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// bearerToken extracts a syntactically valid token or returns "".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(token) != tokenLen {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return ""
	}
	return token
}

// passwordMatches always pays for the bcrypt comparison (so every failure
// takes the same time) and refuses passwords over 72 bytes: bcrypt would
// compare only their first 72 bytes, so "stored password + anything" would
// match, and sign-up never stores a longer one.
func passwordMatches(hash []byte, password string) bool {
	ok := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	return ok && len(password) <= maxPasswordBytes
}

// session is the authenticated caller.
type session struct {
	user      store.User
	tokenHash string
}

type authedHandler func(w http.ResponseWriter, r *http.Request, sess session)

// requireAuth resolves the bearer token with one indexed lookup (the session
// hash is the primary key) and no cache, so a revocation on any replica takes
// effect everywhere at once.
func requireAuth(s *api, h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearerToken(r)
		if token == "" {
			writeError(w, errUnauthorized())
			return
		}
		hash := hashToken(token)
		u, err := s.deps.Store.SessionUser(r.Context(), hash, s.deps.Now())
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, errUnauthorized())
			return
		}
		if err != nil {
			s.internal(w, r, "looking up session", err)
			return
		}
		h(w, r, session{user: u, tokenHash: hash})
	})
}

// client is the throttling key of the request's client (see clientaddr.go).
func (s *api) client(r *http.Request) string { return clientKey(s.deps.Proxies.client(r)) }

// accountKey names an existing user for the attempt guard; unknown e-mails
// are keyed by the address ("e:...") and can never succeed.
func accountKey(id int64) string { return "u:" + strconv.FormatInt(id, 10) }

// reserveAttempt admits one password verification, or answers 429 (or 503
// when the database cannot answer) and returns nil.
func (s *api) reserveAttempt(w http.ResponseWriter, r *http.Request, account, client string) *attempt {
	s.maybeSweep(r.Context())
	op := s.operator.is(r)
	if op {
		wait, err := s.operator.verifications.take(r.Context())
		if err != nil {
			s.internal(w, r, "counting an operator's password attempt", err)
			return nil
		}
		if wait > 0 {
			writeError(w, &apiError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
				Message: "the operator allowance's sign-ins are used up; retry after " + strconv.Itoa(seconds(wait)) + " seconds", RetryAfter: seconds(wait)})
			return nil
		}
	}
	a, wait, err := s.guard.reserve(r.Context(), account, client, op)
	if err != nil {
		s.internal(w, r, "reserving a password attempt", err)
		return nil
	}
	if a == nil {
		writeError(w, &apiError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
			Message: "too many sign-in attempts; retry after " + strconv.Itoa(seconds(wait)) + " seconds", RetryAfter: seconds(wait)})
	}
	return a
}

// settled logs a settlement the database did not take: the reservation then
// counts until it lapses (pendingFor), which errs on the safe side.
func (s *api) settled(r *http.Request, err error) {
	if err != nil {
		s.deps.Logger.WarnContext(r.Context(), "settling a password attempt", "request_id", requestID(r.Context()), "err", err)
	}
}

// verifyPassword compares in one of the bounded bcrypt slots, in the turn of
// the ticket's client.
func (s *api) verifyPassword(ctx context.Context, t *ticket, hash []byte, password string) (bool, *apiError) {
	if refused := t.wait(ctx); refused != nil {
		return false, refused
	}
	return passwordMatches(hash, password), nil
}

// newPasswordHash hashes in one of the slots new hashes may use, or says
// why not (refused: errBusy or errHashingInFlight).
func (s *api) newPasswordHash(ctx context.Context, client, password string) (hash []byte, refused *apiError, err error) {
	t, refused := s.hashes.create(ctx, client)
	if refused != nil {
		return nil, refused, nil
	}
	defer t.done()
	hash, err = bcrypt.GenerateFromPassword([]byte(password), s.deps.BcryptCost)
	return hash, nil, err
}
