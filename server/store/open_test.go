package store

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, driver, dsn, err string
	}{
		{in: "sqlite://./data/empctl.db", driver: "sqlite", dsn: "./data/empctl.db"},
		{in: "sqlite:///var/lib/empctl.db", driver: "sqlite", dsn: "/var/lib/empctl.db"},
		{in: "mysql://app:s3cr%40t@db.internal:3307/empctl", driver: "mysql", dsn: "app:s3cr@t@tcp(db.internal:3307)/empctl"},
		{in: "mysql://app:pw@db.internal/empctl?tls=true", driver: "mysql", dsn: "app:pw@tcp(db.internal:3306)/empctl?tls=true"},
		{in: "mysql://app:pw@db/empctl?charset=utf8mb4&loc=Europe%2FParis&readTimeout=3s&sql_mode=%27ANSI%27",
			driver: "mysql", dsn: "app:pw@tcp(db:3306)/empctl?charset=utf8mb4&loc=Europe%2FParis&readTimeout=3s&sql_mode=%27ANSI%27"},
		{in: "mysql://app:pw@db/empctl?tls=nonsense", err: "DATABASE_URL parameters"},
		{in: "app:pw@tcp(127.0.0.1:3306)/empctl", driver: "mysql", dsn: "app:pw@tcp(127.0.0.1:3306)/empctl"},
		{in: "sqlite://", err: "no file path"},
		{in: "sqlite://./x.db?mode=ro", err: "may not contain ? or #"},
		{in: "mysql://db.internal/empctl", err: "user, host and database name"},
		{in: "mysql://app:pw@db.internal/", err: "user, host and database name"},
		{in: "postgres://x@y/z", err: "scheme not supported"},
		{in: "app:pw@tcp(127.0.0.1:3306", err: "neither mysql://"},
	} {
		got, err := ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) error = %v, want it to mention %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Driver != tc.driver || got.DSN != tc.dsn {
			t.Errorf("ParseURL(%q) = %+v, %v; want %s %s", tc.in, got, err, tc.driver, tc.dsn)
		}
	}
}

func TestRedactedHidesPassword(t *testing.T) {
	tg, err := ParseURL("mysql://app:hunter2@db:3306/empctl")
	if err != nil {
		t.Fatal(err)
	}
	if r := tg.Redacted(); strings.Contains(r, "hunter2") || r != "mysql://app@db:3306/empctl" {
		t.Fatalf("Redacted() = %q", r)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("CREATE TABLE a (x INT);\n\nCREATE INDEX i ON a (x);\n")
	if len(got) != 2 || got[1] != "CREATE INDEX i ON a (x)" {
		t.Fatalf("splitStatements = %q", got)
	}
}

// TestMigrationsLoad: every migration exists for both dialects, with the same
// version and name, so a schema change is never written for one database only.
func TestMigrationsLoad(t *testing.T) {
	names := map[string][]string{}
	for _, d := range []string{"mysql", "sqlite"} {
		ms, err := loadMigrations(d)
		if err != nil || len(ms) == 0 {
			t.Fatalf("%s: %v (%d migrations)", d, err, len(ms))
		}
		for _, m := range ms {
			if len(m.statements) == 0 && m.run == nil {
				t.Errorf("%s/%s has no statements", d, m.name)
			}
			names[d] = append(names[d], m.name)
		}
	}
	if !slices.Equal(names["mysql"], names["sqlite"]) {
		t.Fatalf("migrations differ between dialects:\n mysql  %v\n sqlite %v", names["mysql"], names["sqlite"])
	}
}

// TestParseURLErrorsHidePassword: url.Parse errors quote the URL escaped, so
// a password with a quote, a space or a control character must not survive
// in any form.
func TestParseURLErrorsHidePassword(t *testing.T) {
	for raw, password := range map[string]string{
		`mysql://u:pa"ss@host/db`:     `pa"ss`,
		"mysql://u:pä ss@ho st/db":    "pä ss",
		"mysql://u:p\x7fss@host/db":   "p\x7fss",
		"mysql://u:hunter2@host:x/db": "hunter2",
	} {
		_, err := ParseURL(raw)
		if err == nil {
			t.Fatalf("ParseURL(%q) accepted", raw)
		}
		quoted := strings.Trim(strconv.Quote(password), `"`)
		if msg := err.Error(); strings.Contains(msg, password) || strings.Contains(msg, quoted) {
			t.Errorf("ParseURL(%q) error shows the password: %v", raw, err)
		}
	}
}
