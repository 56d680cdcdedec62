package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Target says which database to open: Driver is "mysql" or "sqlite"; DSN is a
// go-sql-driver DSN or a SQLite file path. The other fields are for MySQL;
// their zero values keep the DSN's settings or the defaults.
type Target struct {
	Driver string
	DSN    string
	// Credentials replace the DSN's user and password, and are read again
	// when MySQL refuses them (a rotated password).
	Credentials CredentialSource
	// TLS replaces the DSN's tls parameter.
	TLS *tls.Config
	// Timeout bounds each store call: waiting for a pooled connection,
	// connecting and the query (default 5s). Past it the call fails with
	// ErrUnavailable instead of holding the request.
	Timeout time.Duration
	// ConnMaxLifetime recycles connections (default 5 minutes, below the
	// idle cut-offs of RDS and its proxies).
	ConnMaxLifetime time.Duration
}

// Redacted describes the target without its password, for logs.
func (t Target) Redacted() string {
	if t.Driver != "mysql" {
		return t.Driver + "://" + t.DSN
	}
	cfg, err := mysql.ParseDSN(t.DSN)
	if err != nil {
		return "mysql://(unparsable DSN)"
	}
	user := cfg.User
	if t.Credentials != nil {
		user = "(from the secret)"
	}
	return "mysql://" + user + "@" + cfg.Addr + "/" + cfg.DBName
}

// ParseURL accepts mysql://user:pass@host:port/db?params, a go-sql-driver DSN
// (user:pass@tcp(host:port)/db), or sqlite://PATH.
func ParseURL(raw string) (Target, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		p := strings.TrimPrefix(raw, "sqlite://")
		if p == "" {
			return Target{}, fmt.Errorf("DATABASE_URL %q has no file path: use sqlite://PATH, e.g. sqlite://./data/empctl.db", raw)
		}
		if strings.ContainsAny(p, "?#") {
			// The driver would read the rest as connection parameters.
			return Target{}, fmt.Errorf("DATABASE_URL %q: the SQLite file path may not contain ? or #; rename the file", raw)
		}
		return Target{Driver: "sqlite", DSN: p}, nil
	case strings.HasPrefix(raw, "mysql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Target{}, fmt.Errorf("DATABASE_URL is not a valid mysql:// URL (URL-escape special characters in the password, e.g. %%40 for @): %v", redactErr(err))
		}
		cfg := mysql.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || cfg.DBName == "" || cfg.User == "" {
			return Target{}, fmt.Errorf("DATABASE_URL must look like mysql://USER:PASSWORD@HOST:PORT/DBNAME (user, host and database name are required)")
		}
		dsn := cfg.FormatDSN() // no "?" yet: a fresh Config has only default parameters
		if q := u.RawQuery; q != "" {
			// The driver's DSN parameters are URL-escaped like a query string,
			// so every one (tls, charset, loc, timeouts, ...) carries over.
			full, err := mysql.ParseDSN(dsn + "?" + q)
			if err != nil {
				return Target{}, fmt.Errorf("DATABASE_URL parameters: %v (see the go-sql-driver/mysql DSN parameters)", err)
			}
			dsn = full.FormatDSN()
		}
		return Target{Driver: "mysql", DSN: dsn}, nil
	case strings.Contains(raw, "://"):
		return Target{}, fmt.Errorf("DATABASE_URL scheme not supported: use mysql://..., sqlite://PATH, or a go-sql-driver DSN")
	default:
		if _, err := mysql.ParseDSN(raw); err != nil {
			return Target{}, fmt.Errorf("DATABASE_URL is neither mysql://, sqlite:// nor a valid go-sql-driver DSN: %v", err)
		}
		return Target{Driver: "mysql", DSN: raw}, nil
	}
}

// redactErr keeps url.Parse errors from echoing the password: a *url.Error
// quotes the whole URL (escaped, so replacing the raw text is not enough), and
// the inner error alone (e.g. "invalid port") says what is wrong.
func redactErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// Open connects to the target and applies pending migrations under the
// dialect's lock, so several replicas may start at once.
func Open(ctx context.Context, t Target) (Store, []string, error) {
	switch t.Driver {
	case "mysql":
		return openMySQL(ctx, t)
	case "sqlite":
		return openSQLite(ctx, t.DSN)
	default:
		return nil, nil, fmt.Errorf("unknown database driver %q", t.Driver)
	}
}
