// Package store keeps users and sessions in MySQL (production) or SQLite (the
// default, embedded). Both implement Store and pass the same contract tests.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

var (
	// ErrNotFound: no such user, or no live session for a token hash.
	ErrNotFound = errors.New("not found")
	// ErrEmailTaken: another user already has this email.
	ErrEmailTaken = errors.New("email already taken")
	// ErrUnavailable wraps every other error: the database could not answer
	// (down, unreachable, refusing the credentials, past the timeout). The
	// wrapped error says why, for the log.
	ErrUnavailable = errors.New("database unavailable")
)

// User is a stored user. BirthDate is a calendar date (YYYY-MM-DD).
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	FirstName    string
	LastName     string
	BirthDate    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewUser is what sign-up stores; the email must already be normalised.
type NewUser struct {
	Email        string
	PasswordHash string
	FirstName    string
	LastName     string
	BirthDate    string
	// SignUpKey is the SHA-256 hex of the sign-up's Idempotency-Key, or "".
	SignUpKey string
}

// ProfileUpdate changes the fields that are non-nil.
type ProfileUpdate struct {
	FirstName *string
	LastName  *string
	BirthDate *string
}

// Session is a login; only the hash of its token is ever stored.
type Session struct {
	TokenHash string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	// VerifiedHash, when set, is the password hash the login checked: the
	// session is created only while the user's hash is still this one, so a
	// login racing a password change cannot outlive the change.
	VerifiedHash string
}

// MaxSessionsPerUser: a login beyond it revokes the user's oldest session.
const MaxSessionsPerUser = 20

// Store is the server's whole persistence API.
type Store interface {
	// CreateUser returns ErrEmailTaken if the email exists.
	CreateUser(ctx context.Context, u NewUser, now time.Time) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	// UserBySignUp returns the user with this email that a sign-up sent with
	// signUpKey created, or ErrNotFound.
	UserBySignUp(ctx context.Context, email, signUpKey string) (User, error)
	// UpdateProfile updates and reads the user back in one transaction, so
	// the result never mixes in a concurrent update.
	UpdateProfile(ctx context.Context, id int64, p ProfileUpdate, now time.Time) (User, error)
	// SetPassword replaces the hash and revokes every session of the user
	// except keepTokenHash, in one transaction. ErrNotFound: no such user, or
	// keepTokenHash (when set) is no longer one of its sessions.
	SetPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time) error

	// CreateSession also deletes the user's expired sessions and its oldest
	// beyond MaxSessionsPerUser. ErrNotFound: no such user, or its password
	// hash is no longer s.VerifiedHash.
	CreateSession(ctx context.Context, s Session) error
	// SessionUser returns the user owning a live (unexpired) session.
	SessionUser(ctx context.Context, tokenHash string, now time.Time) (User, error)
	DeleteSession(ctx context.Context, tokenHash string) error

	// Throttle updates the rows of keys atomically across every process on
	// the database (see throttles.go).
	Throttle(ctx context.Context, keys []string, update func(rows []ThrottleRow) error) error
	// Sweep deletes expired throttle rows and sessions.
	Sweep(ctx context.Context, now time.Time) error

	Ping(ctx context.Context) error
	// DB exposes the pool for its statistics (metrics).
	DB() *sql.DB
	Close() error
}

// EnsureUser creates u unless its email already exists; concurrent callers
// (several replicas starting at once) are safe because the email is unique.
func EnsureUser(ctx context.Context, s Store, u NewUser, now time.Time) (created bool, err error) {
	if _, err := s.UserByEmail(ctx, u.Email); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	_, err = s.CreateUser(ctx, u, now)
	if errors.Is(err, ErrEmailTaken) {
		return false, nil
	}
	return err == nil, err
}
