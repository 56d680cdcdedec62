package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empctl/empctl/server/store"
)

// brokenStore is the real store until broken is set; then every call a
// request makes fails the way a bug or a corrupt database would (not an
// outage, which is store.ErrUnavailable and answers 503).
type brokenStore struct {
	store.Store
	broken atomic.Bool
}

var errBroken = errors.New("database disk image is malformed")

func (b *brokenStore) fail() error {
	if b.broken.Load() {
		return errBroken
	}
	return nil
}

func (b *brokenStore) CreateUser(ctx context.Context, u store.NewUser, now time.Time) (store.User, error) {
	if err := b.fail(); err != nil {
		return store.User{}, err
	}
	return b.Store.CreateUser(ctx, u, now)
}

func (b *brokenStore) UserByEmail(ctx context.Context, email string) (store.User, error) {
	if err := b.fail(); err != nil {
		return store.User{}, err
	}
	return b.Store.UserByEmail(ctx, email)
}

func (b *brokenStore) SessionUser(ctx context.Context, tokenHash string, now time.Time) (store.User, error) {
	if err := b.fail(); err != nil {
		return store.User{}, err
	}
	return b.Store.SessionUser(ctx, tokenHash, now)
}

func (b *brokenStore) Throttle(ctx context.Context, keys []string, update func(rows []store.ThrottleRow) error) error {
	if err := b.fail(); err != nil {
		return err
	}
	return b.Store.Throttle(ctx, keys, update)
}

// TestStoreFailureIsInternal: every operation that uses the database answers
// a failure that is not an outage with the documented 500 internal, the
// cause in the log and not in the answer.
func TestStoreFailureIsInternal(t *testing.T) {
	var st *brokenStore
	h := newHarnessOn(t, sqliteTarget(t), func(d *Deps) { st = &brokenStore{Store: d.Store}; d.Store = st })
	id, token := h.user("ada@example.com", "1990-12-10")
	st.broken.Store(true)
	for _, c := range []struct {
		method, path, token string
		body                any
	}{
		{"POST", "/api/users", "", signUpBody("grace@example.com")},
		{"POST", "/api/login", "", map[string]string{"email": "ada@example.com", "password": "correct horse battery"}},
		{"POST", "/api/logout", token, nil},
		{"GET", "/api/me", token, nil},
		{"PATCH", "/api/me", token, map[string]string{"firstName": "Augusta"}},
		{"PUT", "/api/me/password", token, map[string]string{"currentPassword": "correct horse battery", "newPassword": "another long passphrase"}},
		{"GET", "/api/users/" + strconv.FormatInt(id, 10), token, nil},
	} {
		r := h.do(c.method, c.path, c.token, c.body)
		h.expect(r, http.StatusInternalServerError, "internal")
		if strings.Contains(string(r.body), errBroken.Error()) {
			t.Errorf("%s %s: the cause reached the client: %s", c.method, c.path, r.body)
		}
	}
	if n := strings.Count(h.logs.String(), errBroken.Error()); n < 7 {
		t.Errorf("the cause is in the log %d times, want once per request (7)", n)
	}
}
