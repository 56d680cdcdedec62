package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/server/store"
)

// The values of DB_TLS.
const (
	tlsRequired = "required" // encrypted, the server's certificate not checked
	tlsVerify   = "verify"   // encrypted, the certificate checked against DB_TLS_CA
	tlsDisabled = "disabled" // plain text: a local database without TLS
)

// mysqlSettings reads DB_TLS, DB_TLS_CA, DB_TIMEOUT and DB_CONN_MAX_LIFETIME
// into a MySQL target; rds says the RDS form (DB_HOST) configured it, where
// TLS is required by default.
func mysqlSettings(getenv func(string) string, t *store.Target, rds bool) error {
	names := []string{"DB_TLS", "DB_TLS_CA", "DB_TIMEOUT", "DB_CONN_MAX_LIFETIME"}
	if t.Driver != "mysql" {
		for _, n := range names {
			if strings.TrimSpace(getenv(n)) != "" {
				return fmt.Errorf("%s is set but the database is SQLite: it applies to MySQL only; unset it", n)
			}
		}
		return nil
	}
	var errs []error
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"DB_TIMEOUT", &t.Timeout}, {"DB_CONN_MAX_LIFETIME", &t.ConnMaxLifetime}} {
		v := strings.TrimSpace(getenv(d.name))
		if v == "" {
			continue // the store's default
		}
		if n, err := time.ParseDuration(v); err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: must be a duration greater than zero, like 5s or 5m", d.name, v))
		} else {
			*d.dst = n
		}
	}
	cfg, err := tlsConfig(getenv, t.DSN, rds)
	t.TLS = cfg
	return errors.Join(append(errs, err)...)
}

// tlsConfig is nil when the DSN's own tls parameter (DATABASE_URL) or plain
// text (disabled) applies.
func tlsConfig(getenv func(string) string, dsn string, rds bool) (*tls.Config, error) {
	mode := strings.ToLower(strings.TrimSpace(getenv("DB_TLS")))
	ca := strings.TrimSpace(getenv("DB_TLS_CA"))
	if mode == "" && rds {
		mode = tlsRequired
	}
	if mode != "" && !rds {
		if c, err := mysql.ParseDSN(dsn); err == nil && c.TLSConfig != "" {
			return nil, errors.New("DB_TLS is set and DATABASE_URL has a tls parameter: configure TLS one way only")
		}
	}
	if ca != "" && mode != tlsVerify {
		return nil, fmt.Errorf("DB_TLS_CA is set but DB_TLS is %q: set DB_TLS=verify to check the server's certificate against it", mode)
	}
	switch mode {
	case "", tlsDisabled:
		return nil, nil
	case tlsRequired:
		// As MySQL's ssl-mode=REQUIRED: no connection without encryption.
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil //nolint:gosec // DB_TLS=verify checks the certificate
	case tlsVerify:
		if ca == "" {
			return nil, errors.New("DB_TLS=verify needs DB_TLS_CA: the path of a PEM CA bundle (for RDS, global-bundle.pem; see server/README.md), or the PEM text itself")
		}
		pool, err := caPool(ca)
		if err != nil {
			return nil, err
		}
		// The driver checks the name against the host it dials.
		return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
	default:
		return nil, fmt.Errorf("DB_TLS=%q: use required (encrypted, the default with DB_HOST), verify (also check the certificate against DB_TLS_CA) or disabled", mode)
	}
}

// caPool reads DB_TLS_CA: PEM text, or the path of a PEM file.
func caPool(ca string) (*x509.CertPool, error) {
	pem := []byte(ca)
	if !strings.HasPrefix(ca, "-----BEGIN") {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("DB_TLS_CA: reading the CA bundle: %w", err)
		}
		pem = b
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("DB_TLS_CA holds no PEM certificate: give the path of a CA bundle such as RDS's global-bundle.pem, or its PEM text")
	}
	return pool, nil
}
