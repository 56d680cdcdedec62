package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDSN: several server processes share one file (the local environment
// runs three), so WAL lets readers run beside the writer, the busy timeout
// makes writers queue instead of failing, and immediate transactions take the
// write lock up front (a deferred one upgrading later fails at once with BUSY).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

const sqliteHint = "point DATABASE_URL=sqlite://PATH at a writable place, or configure MySQL"

func openSQLite(ctx context.Context, path string) (Store, []string, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, nil, fmt.Errorf("creating the SQLite directory: %w (%s)", err, sqliteHint)
		}
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := pingSQLite(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("opening SQLite file %s: %w (%s)", path, err, sqliteHint)
	}
	return newSQLStore(ctx, db, dialect{migrate: migrateSQLite, isDuplicate: sqliteDuplicate, connLost: func(error) bool { return false },
		retryTx: func(error) bool { return false }})
}

// pingSQLite opens the first connection. Switching a new file to WAL needs an
// exclusive lock and SQLite reports BUSY without consulting the busy timeout,
// so processes starting together retry here.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

// migrateSQLite runs every pending migration in one immediate transaction:
// SQLite DDL is transactional, and the write lock serialises processes.
func migrateSQLite(ctx context.Context, db *sql.DB) ([]string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	applied, err := applyPending(ctx, tx, "sqlite")
	if err != nil {
		return nil, err
	}
	return applied, tx.Commit()
}

func sqliteDuplicate(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
