package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/pkg/testenv"
)

// TestRDSFormWritesNothingToDisk: on ECS the root filesystem is read-only
// (readonlyRootFilesystem), so with DB_HOST set the server may create no
// ./data directory and no temporary file, while signing up and logging in.
func TestRDSFormWritesNothingToDisk(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	secret, _ := json.Marshal(map[string]string{"username": cfg.User, "password": cfg.Passwd, "engine": "mysql"})
	cwd, tmp := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("TMPDIR", tmp)

	s := start(t, map[string]string{"DATABASE_URL": "", "DB_HOST": host, "DB_PORT": port, "DB_NAME": cfg.DBName, "DB_SECRET": string(secret), "DB_TLS": "disabled"})
	base := "http://" + s.addr
	res, err := http.Post(base+"/api/users", "application/json", strings.NewReader(`{"email":"rds@example.com","password":"correct horse battery","firstName":"R","lastName":"DS","birthDate":"1990-01-01"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("sign-up on the RDS form: %d\n%s", res.StatusCode, s.logs())
	}
	s.stop()
	<-s.done
	if s.err != nil {
		t.Fatal(s.err)
	}
	for _, dir := range []string{cwd, tmp} {
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("the server wrote to %s: %v", dir, entries)
		}
	}
	if len(cfg.Passwd) >= 4 && strings.Contains(s.logs(), cfg.Passwd) {
		t.Error("the database password is in the log")
	}
}

// TestStartupErrorsHideSecrets: whichever way the database is configured, a
// failing start-up says what is wrong in its error and log, never the
// password.
func TestStartupErrorsHideSecrets(t *testing.T) {
	const secret = "TOPSECRET-pw"
	for _, env := range []map[string]string{
		{"DATABASE_URL": "mysql://app:" + secret + "@127.0.0.1:1/db"},
		{"DATABASE_URL": "app:" + secret + "@tcp(127.0.0.1:1)/db"},
		{"DATABASE_URL": "mysql://app:" + secret + "\"@127.0.0.1:1/db"},
		{"DATABASE_URL": "app:" + secret + "@tcp(127.0.0.1:1/db"},
		{"DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_NAME": "db", "DB_SECRET": `{"username":"app","password":"` + secret + `"}`},
		{"DB_HOST": "127.0.0.1", "DB_NAME": "db", "DB_SECRET": `{"username":"app","password":"` + secret},
	} {
		env["HOST"], env["PORT"] = "127.0.0.1", "0"
		var logs strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond) // bounds the connect retries
		err := run(ctx, nil, func(k string) string { return env[k] }, &logs)
		cancel()
		if err == nil {
			t.Fatalf("%v: started", env)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("%v: the password is shown:\n%v\n%s", env, err, logs.String())
		}
	}
}
