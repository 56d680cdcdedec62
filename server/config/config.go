// Package config reads the API server's settings from the environment; every
// variable is documented in server/README.md.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/server/dbsecret"
	"github.com/empctl/empctl/server/store"
)

// defaultSQLitePath is used when no database is configured.
const defaultSQLitePath = "./data/empctl.db"

// Config is the server's configuration.
type Config struct {
	Addr            string // HOST:PORT to listen on
	Database        store.Target
	AppVersion      string // overrides the build's version when set
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration
	SessionTTL      time.Duration
	DemoEmail       string
	DemoPassword    string
	LogLevel        slog.Level
	Proxies         Proxies     // see proxies.go
	SignUpsPerHour  int         // per client address; see limits.go
	PublicDebugInfo bool        // see debuginfo.go
	OperatorKey     OperatorKey // see operator.go
}

// FromEnv reads the configuration, reporting every bad variable at once.
func FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		AppVersion:   strings.TrimSpace(getenv("APP_VERSION")),
		DemoEmail:    strings.TrimSpace(getenv("DEMO_EMAIL")),
		DemoPassword: getenv("DEMO_PASSWORD"),
	}

	port := orDefault(getenv("PORT"), "8080")
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs = append(errs, fmt.Errorf("PORT=%q: must be a TCP port number between 0 and 65535", port))
	}
	c.Addr = net.JoinHostPort(strings.TrimSpace(getenv("HOST")), port)

	duration := func(name, def string, dst *time.Duration, positive bool) {
		v := orDefault(getenv(name), def)
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q: not a duration; write it like 2s, 500ms or 24h", name, v))
		case d < 0 || (positive && d == 0):
			errs = append(errs, fmt.Errorf("%s=%q: must be greater than zero", name, v))
		default:
			*dst = d
		}
	}
	duration("DRAIN_DELAY", "2s", &c.DrainDelay, false)
	duration("SHUTDOWN_TIMEOUT", "20s", &c.ShutdownTimeout, true)
	duration("SESSION_TTL", "24h", &c.SessionTTL, true)

	if (c.DemoEmail == "") != (c.DemoPassword == "") {
		errs = append(errs, errors.New("DEMO_EMAIL and DEMO_PASSWORD: set both to create the demo user, or neither"))
	}

	if v := strings.TrimSpace(getenv("LOG_LEVEL")); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: use debug, info, warn or error", v))
		}
	}

	var perrs []error
	var err error
	c.Proxies, perrs = proxies(getenv)
	errs = append(errs, perrs...)
	if c.SignUpsPerHour, err = signUpsPerHour(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.PublicDebugInfo, err = publicDebugInfo(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.OperatorKey, err = operatorKey(getenv); err != nil {
		errs = append(errs, err)
	}

	db, err := database(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.Database = db
	return c, errors.Join(errs...)
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

// database picks DATABASE_URL, else the RDS form (DB_HOST, DB_PORT, DB_NAME,
// DB_SECRET_ARN or DB_SECRET), else the default SQLite file; then the MySQL
// settings of database.go.
func database(getenv func(string) string) (store.Target, error) {
	url := strings.TrimSpace(getenv("DATABASE_URL"))
	host := strings.TrimSpace(getenv("DB_HOST"))
	var t store.Target
	var err error
	switch {
	case url != "" && host != "":
		return store.Target{}, errors.New("DATABASE_URL and DB_HOST are both set: configure the database one way only")
	case url != "":
		t, err = store.ParseURL(url)
	case host == "":
		t = store.Target{Driver: "sqlite", DSN: defaultSQLitePath}
	default:
		t, err = rdsTarget(getenv, host)
	}
	if err != nil {
		return store.Target{}, err
	}
	return t, mysqlSettings(getenv, &t, host != "")
}

// rdsTarget reads the credentials from DB_SECRET_ARN (followed through
// rotations) or DB_SECRET (fixed at start-up).
func rdsTarget(getenv func(string) string, host string) (store.Target, error) {
	name := strings.TrimSpace(getenv("DB_NAME"))
	port := orDefault(getenv("DB_PORT"), "3306")
	secretARN := strings.TrimSpace(getenv("DB_SECRET_ARN"))
	raw := getenv("DB_SECRET")
	var missing []string
	if name == "" {
		missing = append(missing, "DB_NAME")
	}
	if raw == "" && secretARN == "" {
		missing = append(missing, "DB_SECRET_ARN (or DB_SECRET)")
	}
	if len(missing) > 0 {
		return store.Target{}, fmt.Errorf("DB_HOST is set, so %s must be too (DB_SECRET_ARN names the Secrets Manager secret RDS manages; DB_SECRET is its JSON {\"username\",\"password\"})", strings.Join(missing, " and "))
	}
	if raw != "" && secretARN != "" {
		return store.Target{}, errors.New("DB_SECRET_ARN and DB_SECRET are both set: use DB_SECRET_ARN, which follows password rotations, or DB_SECRET, not both")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return store.Target{}, fmt.Errorf("DB_PORT=%q: must be a TCP port number", port)
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", net.JoinHostPort(host, port), name
	if secretARN != "" {
		src, err := dbsecret.New(secretARN)
		if err != nil {
			return store.Target{}, err
		}
		return store.Target{Driver: "mysql", DSN: cfg.FormatDSN(), Credentials: src}, nil
	}
	var secret struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	// Never echo the secret: a JSON error message could quote part of it.
	if err := json.Unmarshal([]byte(raw), &secret); err != nil || secret.Username == "" || secret.Password == "" {
		return store.Target{}, errors.New(`DB_SECRET must be JSON like {"username":"...","password":"..."} with both fields set`)
	}
	cfg.User, cfg.Passwd = secret.Username, secret.Password
	return store.Target{Driver: "mysql", DSN: cfg.FormatDSN()}, nil
}
