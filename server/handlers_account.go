package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/server/store"
)

type signUpRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	BirthDate string `json:"birthDate"`
}

// validate normalises the request in place.
func (q *signUpRequest) validate(now time.Time) fieldErrors {
	f := fieldErrors{}
	q.Email = normalizeEmail(q.Email)
	checkEmail(f, "email", q.Email)
	checkPassword(f, "password", q.Password)
	q.FirstName = checkName(f, "firstName", q.FirstName)
	q.LastName = checkName(f, "lastName", q.LastName)
	checkBirthDate(f, "birthDate", q.BirthDate, now)
	return f
}

func handleSignUp(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q signUpRequest
		if e := decodeJSON(w, r, &q); e != nil {
			writeError(w, e)
			return
		}
		now := s.deps.Now()
		if f := q.validate(now); len(f) > 0 {
			writeError(w, errValidation(f))
			return
		}
		key, e := signUpKey(r)
		if e != nil {
			writeError(w, e)
			return
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(q.Password), s.deps.BcryptCost)
		if err != nil {
			s.internal(w, r, "hashing password", err)
			return
		}
		u, err := s.deps.Store.CreateUser(r.Context(), store.NewUser{Email: q.Email, PasswordHash: string(hash),
			FirstName: q.FirstName, LastName: q.LastName, BirthDate: q.BirthDate, SignUpKey: key}, now)
		if errors.Is(err, store.ErrEmailTaken) && key != "" {
			// The same sign-up sent again (replayed after a replica died
			// before answering): answer as the first one did.
			if prev, perr := s.deps.Store.UserBySignUp(r.Context(), q.Email, key); perr == nil {
				u, err = prev, nil
			}
		}
		if errors.Is(err, store.ErrEmailTaken) {
			writeError(w, &apiError{Status: http.StatusConflict, Code: "email_taken", Message: "an account with this email already exists; sign in instead",
				Fields: map[string]string{"email": "is already registered"}})
			return
		}
		if err != nil {
			s.internal(w, r, "creating user", err)
			return
		}
		w.Header().Set("Location", "/api/users/"+strconv.FormatInt(u.ID, 10))
		writeJSON(w, http.StatusCreated, toOwnProfile(u, now))
	})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expiresAt"`
	User      ownProfile `json:"user"`
}

func errInvalidCredentials() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: "wrong email or password"}
}

func handleLogin(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q loginRequest
		if e := decodeJSON(w, r, &q); e != nil {
			writeError(w, e)
			return
		}
		q.Email = normalizeEmail(q.Email)
		f := fieldErrors{}
		checkEmail(f, "email", q.Email) // also keeps invalid UTF-8 away from MySQL
		if q.Password == "" {
			f.add("password", "is required")
		}
		if len(f) > 0 {
			writeError(w, errValidation(f))
			return
		}
		client := clientAddr(r)
		if e := s.throttled(q.Email, client); e != nil {
			writeError(w, e)
			return
		}
		u, err := s.deps.Store.UserByEmail(r.Context(), q.Email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.internal(w, r, "looking up user", err)
			return
		}
		hash := s.dummyHash
		if err == nil {
			hash = []byte(u.PasswordHash)
		}
		if !passwordMatches(hash, q.Password) || err != nil {
			s.byEmail.fail(q.Email)
			s.byClient.fail(client)
			writeError(w, errInvalidCredentials())
			return
		}
		s.byEmail.reset(q.Email)
		token, tokenHash := newToken()
		now := s.deps.Now()
		sess := store.Session{TokenHash: tokenHash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.deps.SessionTTL)}
		if err := s.deps.Store.CreateSession(r.Context(), sess); err != nil {
			s.internal(w, r, "creating session", err)
			return
		}
		writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt.UTC().Truncate(time.Millisecond), User: toOwnProfile(u, now)})
	})
}

// throttled answers 429 when the email or the client has failed too often.
func (s *api) throttled(email, client string) *apiError {
	wait := max(s.byEmail.retryAfter(email), s.byClient.retryAfter(client))
	if wait <= 0 {
		return nil
	}
	return &apiError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Message: "too many failed sign-in attempts; retry after " + strconv.Itoa(seconds(wait)) + " seconds", RetryAfter: seconds(wait)}
}

func handleLogout(s *api) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess session) {
		if err := s.deps.Store.DeleteSession(r.Context(), sess.tokenHash); err != nil {
			s.internal(w, r, "deleting session", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// maxIdempotencyKey bounds the Idempotency-Key header, as UUIDs and similar keys need.
const maxIdempotencyKey = 255

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
