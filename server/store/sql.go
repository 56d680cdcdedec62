package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sqlStore implements Store for both dialects: the queries are portable, only
// opening, locking and error classification differ.
type sqlStore struct {
	db          *sql.DB
	isDuplicate func(error) bool
	// sessionUser runs on every authenticated request; preparing it once
	// saves SQLite a parse and MySQL two round trips per request.
	sessionUser *sql.Stmt
}

// newSQLStore migrates an open, reachable db under the dialect's lock and
// prepares the store; on failure it closes db.
func newSQLStore(ctx context.Context, db *sql.DB, migrate func(context.Context, *sql.DB) ([]string, error),
	isDuplicate func(error) bool) (Store, []string, error) {
	applied, err := migrate(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	stmt, err := db.PrepareContext(ctx, `SELECT `+userColumns+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ?`)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("preparing the session query: %w", err)
	}
	return &sqlStore{db: db, isDuplicate: isDuplicate, sessionUser: stmt}, applied, nil
}

const userColumns = `u.id, u.email, u.password_hash, u.first_name, u.last_name, u.birth_date, u.created_at, u.updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (User, error) {
	var u User
	var created, updated int64
	var birth []byte // MySQL DATE arrives as text "YYYY-MM-DD" (parseTime is off)
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.FirstName, &u.LastName, &birth, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	u.BirthDate = string(birth)
	u.CreatedAt = time.UnixMilli(created).UTC()
	u.UpdatedAt = time.UnixMilli(updated).UTC()
	return u, nil
}

func (s *sqlStore) CreateUser(ctx context.Context, n NewUser, now time.Time) (User, error) {
	ms := now.UnixMilli()
	var key sql.NullString
	if n.SignUpKey != "" {
		key = sql.NullString{String: n.SignUpKey, Valid: true}
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO users (email, password_hash, first_name, last_name, birth_date, created_at, updated_at, signup_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.Email, n.PasswordHash, n.FirstName, n.LastName, n.BirthDate, ms, ms, key)
	if err != nil {
		if s.isDuplicate(err) {
			return User{}, ErrEmailTaken
		}
		return User{}, fmt.Errorf("inserting user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return User{}, err
	}
	t := time.UnixMilli(ms).UTC()
	return User{ID: id, Email: n.Email, PasswordHash: n.PasswordHash, FirstName: n.FirstName, LastName: n.LastName,
		BirthDate: n.BirthDate, CreatedAt: t, UpdatedAt: t}, nil
}

func (s *sqlStore) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
}

func (s *sqlStore) UserByEmail(ctx context.Context, email string) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, email))
}

func (s *sqlStore) UserBySignUp(ctx context.Context, email, signUpKey string) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ? AND u.signup_key = ?`, email, signUpKey))
}

func (s *sqlStore) UpdateProfile(ctx context.Context, id int64, p ProfileUpdate, now time.Time) (User, error) {
	sets := []string{"updated_at = ?"}
	args := []any{now.UnixMilli()}
	for _, f := range []struct {
		col string
		v   *string
	}{{"first_name", p.FirstName}, {"last_name", p.LastName}, {"birth_date", p.BirthDate}} {
		if f.v != nil {
			sets = append(sets, f.col+" = ?")
			args = append(args, *f.v)
		}
	}
	args = append(args, id)
	// Not RowsAffected: MySQL reports 0 when the values are unchanged, so only
	// the read tells a missing user apart.
	if _, err := s.db.ExecContext(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
		return User{}, fmt.Errorf("updating user: %w", err)
	}
	return s.UserByID(ctx, id)
}

func (s *sqlStore) SetPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("updating password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, id, keepTokenHash); err != nil {
		return fmt.Errorf("revoking sessions: %w", err)
	}
	return tx.Commit()
}

func (s *sqlStore) CreateSession(ctx context.Context, ss Session) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?`, ss.UserID, ss.CreatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("deleting expired sessions: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		ss.TokenHash, ss.UserID, ss.CreatedAt.UnixMilli(), ss.ExpiresAt.UnixMilli()); err != nil {
		return fmt.Errorf("inserting session: %w", err)
	}
	return tx.Commit()
}

func (s *sqlStore) SessionUser(ctx context.Context, tokenHash string, now time.Time) (User, error) {
	// Detached from the request's cancellation: with a cancellable context
	// database/sql and the SQLite driver each start a watcher goroutine per
	// query, which costs more than this one-row primary-key read. The MySQL
	// connection's read timeout still bounds it.
	return scanUser(s.sessionUser.QueryRowContext(context.WithoutCancel(ctx), tokenHash, now.UnixMilli()))
}

func (s *sqlStore) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

func (s *sqlStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
func (s *sqlStore) DB() *sql.DB                    { return s.db }
func (s *sqlStore) Close() error {
	return errors.Join(s.sessionUser.Close(), s.db.Close())
}
