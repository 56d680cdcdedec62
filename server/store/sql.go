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
	db *sql.DB
	dialect
	// sessionUser runs on every authenticated request; preparing it once
	// saves SQLite a parse and MySQL two round trips per request.
	sessionUser *sql.Stmt
}

// dialect is what differs between MySQL and SQLite.
type dialect struct {
	migrate     func(context.Context, *sql.DB) ([]string, error)
	isDuplicate func(error) bool
	// connLost: the connection broke under a query, which a read may retry
	// on another connection (database/sql retries only before sending).
	connLost func(error) bool
	// timeout bounds each call; 0 (SQLite, a local file) means none.
	timeout time.Duration
	// forUpdate locks the rows a transaction reads (MySQL); SQLite's
	// immediate transactions hold the write lock already.
	forUpdate string
	// retryTx: the transaction lost a deadlock or a lock wait and may be
	// repeated.
	retryTx func(error) bool
}

// newSQLStore migrates an open, reachable db under the dialect's lock and
// prepares the store; on failure it closes db.
func newSQLStore(ctx context.Context, db *sql.DB, d dialect) (Store, []string, error) {
	applied, err := d.migrate(ctx, db)
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
	return &sqlStore{db: db, dialect: d, sessionUser: stmt}, applied, nil
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

func (s *sqlStore) createUser(ctx context.Context, n NewUser, now time.Time) (User, error) {
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

func (s *sqlStore) userByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
}

func (s *sqlStore) userByEmail(ctx context.Context, email string) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, email))
}

func (s *sqlStore) userBySignUp(ctx context.Context, email, signUpKey string) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ? AND u.signup_key = ?`, email, signUpKey))
}

func (s *sqlStore) updateProfile(ctx context.Context, id int64, p ProfileUpdate, now time.Time) (User, error) {
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return User{}, err
	}
	defer func() { _ = tx.Rollback() }()
	// Not RowsAffected: MySQL reports 0 when the values are unchanged, so only
	// the read tells a missing user apart. The UPDATE's row lock (MySQL) or
	// the write lock (SQLite) keeps other writers out until the commit.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
		return User{}, fmt.Errorf("updating user: %w", err)
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
	if err != nil {
		return User{}, err
	}
	return u, tx.Commit()
}

func (s *sqlStore) setPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	// The UPDATE locks the user row first (as CreateSession's INSERT ...
	// SELECT does), so racing changes queue here without a deadlock.
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("updating password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	// The kept session must still exist: of two changes racing, the one that
	// commits second finds its session revoked by the first and changes
	// nothing, rather than taking the account back after a stale check. This
	// read comes after the row lock, so it sees the first change's commit.
	if keepTokenHash != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = ? AND user_id = ?`, keepTokenHash, id).Scan(&n); err != nil {
			return fmt.Errorf("checking the session: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, id, keepTokenHash); err != nil {
		return fmt.Errorf("revoking sessions: %w", err)
	}
	return tx.Commit()
}

func (s *sqlStore) createSession(ctx context.Context, ss Session) error {
	// Two statements, no transaction: a transaction holding the range lock of
	// this DELETE while the INSERT waits for the user row deadlocks MySQL
	// against concurrent logins and SetPassword.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?`, ss.UserID, ss.CreatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("deleting expired sessions: %w", err)
	}
	// One statement reads the hash and inserts. Under REPEATABLE READ (the
	// MySQL and RDS default) INSERT ... SELECT share-locks the user row, so a
	// concurrent SetPassword either commits first (no row inserted) or waits
	// and then revokes this session; SQLite serialises writers.
	res, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
		SELECT ?, id, ?, ? FROM users WHERE id = ? AND (? = '' OR password_hash = ?)`,
		ss.TokenHash, ss.CreatedAt.UnixMilli(), ss.ExpiresAt.UnixMilli(), ss.UserID, ss.VerifiedHash, ss.VerifiedHash)
	if err != nil {
		return fmt.Errorf("inserting session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	// At most MaxSessionsPerUser: the oldest beyond go, so logging in again
	// and again cannot grow the table (ties on the millisecond may keep a
	// few more until the next login).
	var cutoff int64
	err = s.db.QueryRowContext(ctx, `SELECT created_at FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT 1 OFFSET ?`,
		ss.UserID, MaxSessionsPerUser-1).Scan(&cutoff)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("counting sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND created_at < ?`, ss.UserID, cutoff); err != nil {
		return fmt.Errorf("revoking the oldest sessions: %w", err)
	}
	return nil
}

func (s *sqlStore) sessionUserQuery(ctx context.Context, tokenHash string, now time.Time) (User, error) {
	return scanUser(s.sessionUser.QueryRowContext(ctx, tokenHash, now.UnixMilli()))
}

func (s *sqlStore) deleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

func (s *sqlStore) DB() *sql.DB { return s.db }
func (s *sqlStore) Close() error {
	return errors.Join(s.sessionUser.Close(), s.db.Close())
}
