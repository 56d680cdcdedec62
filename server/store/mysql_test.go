package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// TestMySQLRefusalIsFinal: a wrong password or database name fails at once
// with a message saying what to check, instead of retrying for 30 s, and the
// message never shows the password.
func TestMySQLRefusalIsFinal(t *testing.T) {
	good, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	wrongPassword, unknownDB := *good, *good
	wrongPassword.Passwd = "TOPSECRET-wrong-password"
	unknownDB.DBName += "_missing"
	for name, tc := range map[string]struct {
		cfg  *mysql.Config
		want string
	}{
		"password": {&wrongPassword, "Access denied"},
		"database": {&unknownDB, "Unknown database"},
	} {
		t.Run(name, func(t *testing.T) {
			// Far below the 30 s of retries: ending before it proves no retry.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, _, err := store.Open(ctx, store.Target{Driver: "mysql", DSN: tc.cfg.FormatDSN()})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "check the host, port, user, password") {
				t.Fatalf("Open: %v, want %q and what to check", err, tc.want)
			}
			if ctx.Err() != nil {
				t.Fatal("a refusal was retried until the deadline")
			}
			if strings.Contains(err.Error(), "TOPSECRET") || (good.Passwd != "" && strings.Contains(err.Error(), good.Passwd)) {
				t.Fatalf("error shows a password: %v", err)
			}
		})
	}
}
