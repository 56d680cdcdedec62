package store

import (
	"cmp"
	"context"
	"crypto/tls"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-sql-driver/mysql"
)

const migrationLock = "empctl_migrations"

// Defaults for the Target fields left zero.
const (
	defaultTimeout         = 5 * time.Second
	defaultConnMaxLifetime = 5 * time.Minute
)

func openMySQL(ctx context.Context, t Target) (Store, []string, error) {
	cfg, err := mysql.ParseDSN(t.DSN)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	// The store reads DATE as text and keeps timestamps as epoch milliseconds.
	// The driver's own messages (a bad idle connection, ...) go to the
	// structured log like everything else, not as plain text to stderr.
	cfg.Logger = slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn)
	cfg.ParseTime = false
	cfg.MultiStatements = false
	if t.TLS != nil {
		cfg.TLS, cfg.TLSConfig = t.TLS.Clone(), ""
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	// No query of this store runs long; these bound a stalled server.
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 15 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 15 * time.Second
	}
	var connector driver.Connector
	if t.Credentials != nil {
		connector = newRotatingConnector(cfg, t.Credentials, slog.Default())
	} else if connector, err = mysql.NewConnector(cfg); err != nil {
		return nil, nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxLifetime(cmp.Or(t.ConnMaxLifetime, defaultConnMaxLifetime))
	if err := pingUntil(ctx, db, 30*time.Second); err != nil {
		_ = db.Close()
		user := fmt.Sprintf("%q", cfg.User)
		if t.Credentials != nil {
			user = "the secret's user"
		}
		return nil, nil, fmt.Errorf("connecting to MySQL at %s as %s: %w (check the host, port, user, password and database name, and that the database accepts connections from here)", cfg.Addr, user, err)
	}
	return newSQLStore(ctx, db, dialect{migrate: migrateMySQL, isDuplicate: mysqlDuplicate, connLost: mysqlConnLost,
		timeout: cmp.Or(t.Timeout, defaultTimeout), forUpdate: " FOR UPDATE", retryTx: mysqlRetryTx})
}

// pingUntil retries so that a server starting next to its database (the
// local environment, a fresh RDS instance) waits instead of crash-looping.
// A refusal of the credentials, the database name or TLS is final: waiting
// would only delay the error.
func pingUntil(ctx context.Context, db *sql.DB, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		err := db.PingContext(ctx)
		if err == nil || isRefusal(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// migrateMySQL holds a named lock (GET_LOCK) on one connection for the whole
// run: MySQL DDL commits implicitly, so a transaction could not serialise it.
func migrateMySQL(ctx context.Context, db *sql.DB) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, 60)`, migrationLock).Scan(&got); err != nil {
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	if got.Int64 != 1 {
		return nil, fmt.Errorf("another server held the migration lock %q for 60s; is a migration stuck?", migrationLock)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK(?)`, migrationLock) }()
	return applyPending(ctx, conn, "mysql")
}

func isRefusal(err error) bool {
	var me *mysql.MySQLError
	var badCert *tls.CertificateVerificationError
	return errors.Is(err, mysql.ErrNoTLS) || errors.As(err, &badCert) || // TLS required, the server has none or a certificate DB_TLS_CA does not vouch for
		errors.As(err, &me) && (me.Number == 1044 || me.Number == 1045 || me.Number == 1049) // access denied to the database, for the user; unknown database
}

// mysqlConnLost: the connection died under the query (killed, a failover,
// the server shutting down).
func mysqlConnLost(err error) bool {
	var me *mysql.MySQLError
	return errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) ||
		errors.As(err, &me) && (me.Number == 1053 || me.Number == 1927) // ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED (MariaDB)
}

func mysqlDuplicate(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062 // ER_DUP_ENTRY
}

// mysqlRetryTx: ER_LOCK_DEADLOCK (InnoDB rolled the transaction back) or
// ER_LOCK_WAIT_TIMEOUT.
func mysqlRetryTx(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}
