package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The Store methods: each call is bounded by the dialect's timeout, reads are
// repeated on a lost connection, and every failure that is not an answer
// of the store becomes ErrUnavailable, so callers can tell "the database is
// down" from a bug without knowing the driver.

func (s *sqlStore) CreateUser(ctx context.Context, n NewUser, now time.Time) (User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := s.createUser(ctx, n, now)
	return u, unavailable(err)
}

func (s *sqlStore) UserByID(ctx context.Context, id int64) (User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readUser(s, func() (User, error) { return s.userByID(ctx, id) })
}

func (s *sqlStore) UserByEmail(ctx context.Context, email string) (User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readUser(s, func() (User, error) { return s.userByEmail(ctx, email) })
}

func (s *sqlStore) UserBySignUp(ctx context.Context, email, signUpKey string) (User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readUser(s, func() (User, error) { return s.userBySignUp(ctx, email, signUpKey) })
}

func (s *sqlStore) UpdateProfile(ctx context.Context, id int64, p ProfileUpdate, now time.Time) (User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := s.updateProfile(ctx, id, p, now)
	return u, unavailable(err)
}

func (s *sqlStore) SetPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return unavailable(s.setPassword(ctx, id, hash, keepTokenHash, now))
}

func (s *sqlStore) CreateSession(ctx context.Context, ss Session) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return unavailable(s.createSession(ctx, ss))
}

// SessionUser runs on every authenticated request. Without a timeout
// (SQLite) it is detached from the request's cancellation: with a cancellable
// context database/sql and the SQLite driver each start a watcher goroutine
// per query, which costs more than this one-row primary-key read.
func (s *sqlStore) SessionUser(ctx context.Context, tokenHash string, now time.Time) (User, error) {
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return readUser(s, func() (User, error) { return s.sessionUserQuery(ctx, tokenHash, now) })
}

func (s *sqlStore) DeleteSession(ctx context.Context, tokenHash string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return unavailable(s.deleteSession(ctx, tokenHash))
}

func (s *sqlStore) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return unavailable(s.db.PingContext(ctx))
}

// bound applies the dialect's timeout to one call.
func (s *sqlStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout == 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// readAttempts: when a failover kills the pool's connections one after the
// other, a retry can land on the next one dying; the pool discards each dead
// connection, so a few attempts reach a live one.
const readAttempts = 3

// readUser repeats a read when its connection died under it: a read is safe
// to repeat, and the pool discards the dead connection.
func readUser(s *sqlStore, read func() (User, error)) (User, error) {
	u, err := read()
	for i := 1; i < readAttempts && err != nil && s.connLost(err); i++ {
		u, err = read()
	}
	return u, unavailable(err)
}

// unavailable marks every error but the store's own answers as ErrUnavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrEmailTaken) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
