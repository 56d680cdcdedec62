package store_test

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
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

// TestMySQLDriverLogsAreStructured: the driver's messages (here, a killed
// idle connection) reach slog's default logger, so they come out as JSON.
func TestMySQLDriverLogsAreStructured(t *testing.T) {
	dsn := testenv.MySQLDSN(t)
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	s, _, err := store.Open(context.Background(), store.Target{Driver: "mysql", DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	ctx := context.Background()
	for range 50 {
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := conn.QueryRowContext(ctx, `SELECT CONNECTION_ID()`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close() // back to the pool, idle
		if _, err := admin.Exec(`KILL CONNECTION ?`, id); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let the server close the socket
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "closing bad idle connection") {
				return
			}
		}
	}
	t.Fatalf("no structured driver log line:\n%s", logs.String())
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
