package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/empctl/empctl/server/store"
)

func handleGetMe(s *api) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess session) {
		writeJSON(w, http.StatusOK, toOwnProfile(sess.user, s.deps.Now()))
	}
}

// profileUpdate: absent (or null) fields stay unchanged.
type profileUpdate struct {
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	BirthDate *string `json:"birthDate"`
}

func handlePatchMe(s *api) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess session) {
		var q profileUpdate
		if e := decodeJSON(w, r, &q); e != nil {
			writeError(w, e)
			return
		}
		now := s.deps.Now()
		f := fieldErrors{}
		var up store.ProfileUpdate
		if q.FirstName != nil {
			v := checkName(f, "firstName", *q.FirstName)
			up.FirstName = &v
		}
		if q.LastName != nil {
			v := checkName(f, "lastName", *q.LastName)
			up.LastName = &v
		}
		if q.BirthDate != nil {
			checkBirthDate(f, "birthDate", *q.BirthDate, now)
			up.BirthDate = q.BirthDate
		}
		if len(f) > 0 {
			writeError(w, errValidation(f))
			return
		}
		u, err := s.deps.Store.UpdateProfile(r.Context(), sess.user.ID, up, now)
		if err != nil {
			s.internal(w, r, "updating profile", err)
			return
		}
		writeJSON(w, http.StatusOK, toOwnProfile(u, now))
	}
}

type passwordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func handleChangePassword(s *api) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess session) {
		var q passwordChange
		if e := decodeJSON(w, r, &q); e != nil {
			writeError(w, e)
			return
		}
		f := fieldErrors{}
		if q.CurrentPassword == "" {
			f.add("currentPassword", "is required")
		}
		checkPassword(f, "newPassword", q.NewPassword, sess.user.Email)
		if len(f) > 0 {
			writeError(w, errValidation(f))
			return
		}
		// A stolen token must not become a way to guess the password: the
		// same guard as login, keyed on the user and the client.
		att, e := s.reserveAttempt(accountKey(sess.user.ID), s.client(r))
		if e != nil {
			writeError(w, e)
			return
		}
		ok, e := s.verifyPassword(r.Context(), []byte(sess.user.PasswordHash), q.CurrentPassword)
		if e != nil {
			att.abandoned()
			writeError(w, e)
			return
		}
		if !ok {
			att.failed()
			writeError(w, &apiError{Status: http.StatusForbidden, Code: "invalid_credentials", Message: "the current password is wrong",
				Fields: map[string]string{"currentPassword": "is incorrect"}})
			return
		}
		att.succeeded()
		hash, err := s.newPasswordHash(r.Context(), q.NewPassword)
		if errors.Is(err, errNoSlot) {
			writeError(w, errBusy())
			return
		}
		if err != nil {
			s.internal(w, r, "hashing password", err)
			return
		}
		err = s.deps.Store.SetPassword(r.Context(), sess.user.ID, string(hash), sess.tokenHash, s.deps.Now())
		if errors.Is(err, store.ErrNotFound) {
			// A concurrent password change revoked this session meanwhile.
			writeError(w, errUnauthorized())
			return
		}
		if err != nil {
			s.internal(w, r, "changing password", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func handleGetUser(s *api) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, _ session) {
		raw := r.PathValue("id")
		id, err := strconv.ParseInt(raw, 10, 64)
		// Only the canonical form (no "+", no leading zeros): one URL per user.
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
			writeError(w, errNotFound("user"))
			return
		}
		u, err := s.deps.Store.UserByID(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, errNotFound("user"))
			return
		}
		if err != nil {
			s.internal(w, r, "looking up user", err)
			return
		}
		writeJSON(w, http.StatusOK, toPublicProfile(u, s.deps.Now()))
	}
}
