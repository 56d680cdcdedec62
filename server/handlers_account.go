package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

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
	q.Email = normalizeEmail(f, "email", q.Email)
	checkPassword(f, "password", q.Password, q.Email)
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
		// Counted before the hash and the insert, so neither a burst nor
		// "email taken" answers come for free (server/README.md).
		client, op := s.client(r), s.operator.is(r)
		s.maybeSweep(r.Context())
		wait, err := s.takeSignUp(r.Context(), client, op)
		if err != nil {
			s.internal(w, r, "counting the sign-up", err)
			return
		}
		if wait > 0 {
			who := "this address"
			if op {
				who = "the operator key"
			}
			writeError(w, &apiError{Status: http.StatusTooManyRequests, Code: "too_many_sign_ups",
				Message: "too many sign-ups from " + who + "; retry after " + strconv.Itoa(seconds(wait)) + " seconds", RetryAfter: seconds(wait)})
			return
		}
		hash, refused, err := s.newPasswordHash(r.Context(), client, q.Password)
		if refused != nil {
			if err := s.giveBackSignUp(r.Context(), client, op); err != nil {
				s.deps.Logger.WarnContext(r.Context(), "giving back a sign-up", "request_id", requestID(r.Context()), "err", err)
			}
			writeError(w, refused)
			return
		}
		if err != nil {
			s.internal(w, r, "hashing password", err)
			return
		}
		u, err := s.deps.Store.CreateUser(r.Context(), store.NewUser{Email: q.Email, PasswordHash: string(hash),
			FirstName: q.FirstName, LastName: q.LastName, BirthDate: q.BirthDate, SignUpKey: key}, now)
		if errors.Is(err, store.ErrEmailTaken) && key != "" {
			// The same sign-up sent again (replayed after a replica died
			// before answering): answer as the first one did.
			prev, perr := s.deps.Store.UserBySignUp(r.Context(), q.Email, key)
			switch {
			case perr == nil:
				same, e := s.isReplay(r, prev, &q, now)
				if e != nil {
					writeError(w, e)
					return
				}
				if same {
					u, err = prev, nil
				}
			case !errors.Is(perr, store.ErrNotFound):
				// Unknown whether the account is this client's own: not
				// email_taken, but 503 (retry) or 500.
				s.internal(w, r, "looking up a replayed sign-up", perr)
				return
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
		f := fieldErrors{}
		q.Email = normalizeEmail(f, "email", q.Email)
		if q.Password == "" {
			f.add("password", "is required")
		}
		if len(f) > 0 {
			writeError(w, errValidation(f))
			return
		}
		u, err := s.deps.Store.UserByEmail(r.Context(), q.Email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.internal(w, r, "looking up user", err)
			return
		}
		// Unknown emails are checked against the dummy hash and throttled
		// like real accounts, so neither timing nor 429s reveal which exist.
		exists, account, hash := err == nil, "e:"+q.Email, s.dummyHash
		if exists {
			account, hash = accountKey(u.ID), []byte(u.PasswordHash)
		}
		client := s.client(r)
		tk, refused := s.hashes.admit(client)
		if refused != nil {
			writeError(w, refused)
			return
		}
		defer tk.done()
		att := s.reserveAttempt(w, r, account, client)
		if att == nil {
			return
		}
		ok, e := s.verifyPassword(r.Context(), tk, hash, q.Password)
		tk.done()
		if e != nil {
			s.settled(r, att.abandoned(r.Context()))
			writeError(w, e)
			return
		}
		if !ok || !exists {
			s.settled(r, att.failed(r.Context()))
			writeError(w, errInvalidCredentials())
			return
		}
		token, tokenHash := newToken()
		now := s.deps.Now()
		sess := store.Session{TokenHash: tokenHash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.deps.SessionTTL), VerifiedHash: u.PasswordHash}
		err = s.deps.Store.CreateSession(r.Context(), sess)
		if errors.Is(err, store.ErrNotFound) {
			// The password changed (or the user went) since it was read: the
			// password just checked is no longer valid.
			s.settled(r, att.abandoned(r.Context()))
			writeError(w, errInvalidCredentials())
			return
		}
		if err != nil {
			s.settled(r, att.abandoned(r.Context()))
			s.internal(w, r, "creating session", err)
			return
		}
		s.settled(r, att.succeeded(r.Context()))
		writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt.UTC().Truncate(time.Millisecond), User: toOwnProfile(u, now)})
	})
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
