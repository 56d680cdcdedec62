package testenv

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQLDSN returns a go-sql-driver DSN for a fresh, empty database on the test
// MariaDB server named by EMPCTL_TEST_MYSQL_DSN; the database is dropped when
// the test ends.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("EMPCTL_TEST_MYSQL_DSN")
	if base == "" {
		Missing(t, "MariaDB (EMPCTL_TEST_MYSQL_DSN is unset)", "run `eval $(make -s services)` to start a private MariaDB and export EMPCTL_TEST_MYSQL_DSN")
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("EMPCTL_TEST_MYSQL_DSN is not a valid DSN: %v", err)
	}
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatalf("opening MariaDB: %v", err)
	}
	defer func() { _ = admin.Close() }()
	if err := admin.Ping(); err != nil {
		Missing(t, "MariaDB at "+cfg.Addr+" ("+err.Error()+")", "run `eval $(make -s services)` to start it")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", base)
		if err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name)
			_ = db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
