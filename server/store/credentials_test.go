package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/pkg/testenv"
)

// sequenceSource is a CredentialSource for tests: it returns what set gave
// it last and counts the reads.
type sequenceSource struct {
	mu    sync.Mutex
	creds []Credentials
	reads atomic.Int32
}

func (s *sequenceSource) set(c ...Credentials) { s.mu.Lock(); s.creds = c; s.mu.Unlock() }
func (s *sequenceSource) Credentials(context.Context) ([]Credentials, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds, nil
}

// appUser creates a MySQL user with all rights on the test database and
// returns the database's DSN without credentials, and an admin connection.
func appUser(t *testing.T, user, password string) (string, *sql.DB) {
	t.Helper()
	dsn := testenv.MySQLDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", user, password),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'127.0.0.1'", cfg.DBName, user),
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1'", user)) })
	cfg.User, cfg.Passwd = "", ""
	return cfg.FormatDSN(), admin
}

func randomName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "u_" + hex.EncodeToString(b)
}

// TestCredentialsReadOnceForConcurrentRefusals: after the password changes,
// twenty connections refused at once cause one read of the source, and all
// of them then connect with the pending credentials.
func TestCredentialsReadOnceForConcurrentRefusals(t *testing.T) {
	user := randomName()
	dsn, admin := appUser(t, user, "first-password")
	src := &sequenceSource{}
	src.set(Credentials{User: user, Password: "first-password", Label: "AWSCURRENT"})
	st, _, err := Open(context.Background(), Target{Driver: "mysql", DSN: dsn, Credentials: src})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("%d reads at start-up, want 1", n)
	}

	if _, err := admin.Exec(fmt.Sprintf("ALTER USER '%s'@'127.0.0.1' IDENTIFIED BY 'second-password'", user)); err != nil {
		t.Fatal(err)
	}
	src.set(Credentials{User: user, Password: "first-password", Label: "AWSCURRENT"},
		Credentials{User: user, Password: "second-password", Label: "AWSPENDING"})
	st.DB().SetMaxIdleConns(0) // every call below needs a new connection
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := st.UserByEmail(context.Background(), "nobody@example.com"); !errors.Is(err, ErrNotFound) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := src.reads.Load(); n != 2 {
		t.Fatalf("%d reads in all, want 2: one at start-up, one for all the refused connections", n)
	}
}

// TestCredentialsRereadsAreBounded: credentials that stay wrong fail the
// connection after a bounded number of reads, with MySQL's access denied and
// no password in the error.
func TestCredentialsRereadsAreBounded(t *testing.T) {
	user := randomName()
	dsn, _ := appUser(t, user, "right-password")
	src := &sequenceSource{}
	src.set(Credentials{User: user, Password: "TOPSECRET-wrong", Label: "AWSCURRENT"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // far below the 30s of start-up retries
	defer cancel()
	_, _, err := Open(ctx, Target{Driver: "mysql", DSN: dsn, Credentials: src})
	if !accessDenied(err) {
		t.Fatalf("error %v, want access denied", err)
	}
	if strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("the error shows the password: %v", err)
	}
	if n := src.reads.Load(); n != maxRefreshes {
		t.Fatalf("%d reads, want %d", n, maxRefreshes)
	}
}
