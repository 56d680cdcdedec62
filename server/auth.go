package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
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

// clientAddr is the last X-Forwarded-For entry (the one the AWS ALB appends;
// entries to its left are client-supplied) or else the TCP peer.
func clientAddr(r *http.Request) string {
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		last := xff[len(xff)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		if ip := strings.TrimSpace(last); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
