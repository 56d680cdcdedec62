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
		// Changing to the same password would change nothing but still cost
		// two hashes: refused before any.
		if q.NewPassword == q.CurrentPassword {
			writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Code: "password_unchanged",
				Message: "the new password is the current one; choose another", Fields: map[string]string{"newPassword": "must differ from the current password"}})
			return
		}
		// A stolen token must not become a way to guess the password: the
		// same guard as login, keyed on the user and the client.
		client := s.client(r)
		tk, refused := s.hashes.admit(client)
		if refused != nil {
			writeError(w, refused)
			return
		}
		defer tk.done()
		att := s.reserveAttempt(w, r, accountKey(sess.user.ID), client)
		if att == nil {
			return
		}
		ok, e := s.verifyPassword(r.Context(), tk, []byte(sess.user.PasswordHash), q.CurrentPassword)
		tk.done() // before the new hash takes a ticket of its own
		if e != nil {
			s.settled(r, att.abandoned(r.Context()))
			writeError(w, e)
			return
		}
		if !ok {
			s.settled(r, att.failed(r.Context()))
			writeError(w, &apiError{Status: http.StatusForbidden, Code: "invalid_credentials", Message: "the current password is wrong",
				Fields: map[string]string{"currentPassword": "is incorrect"}})
			return
		}
		s.settled(r, att.succeeded(r.Context()))
		hash, refused, err := s.newPasswordHash(r.Context(), client, q.NewPassword)
		if refused != nil {
			writeError(w, refused)
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

// profileReadsPerHour bounds reads of other users' profiles per client
// address and per reader: ids are sequential, so without it one client could
// list every member's first name and initial in seconds (server/README.md).
const profileReadsPerHour = 120

func handleGetUser(s *api) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, sess session) {
		raw := r.PathValue("id")
		id, err := strconv.ParseInt(raw, 10, 64)
		// Only the canonical form (no "+", no leading zeros): one URL per user.
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
			writeError(w, errNotFound("user"))
			return
		}
		if id != sess.user.ID {
			wait, err := s.takeProfileRead(r, accountKey(sess.user.ID))
			if err != nil {
				s.internal(w, r, "counting the profile read", err)
				return
			}
			if wait > 0 {
				writeError(w, &apiError{Status: http.StatusTooManyRequests, Code: "too_many_profile_reads",
					Message: "too many profiles read from this address or account; retry after " + strconv.Itoa(seconds(wait)) + " seconds", RetryAfter: seconds(wait)})
				return
			}
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
		writeJSON(w, http.StatusOK, toPublicProfile(u))
	}
}
