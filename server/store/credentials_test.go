package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
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

// TestCredentialsRefreshAfterRefusal: a caller whose candidates MySQL
// refused always gets a newer generation, read after them, even when a
// caller with older candidates asks at the same time. Before, that caller
// could start the shared refresh, which handed back the current generation
// without a read, so the other caller retried the refused credentials and
// spent one of its maxRefreshes for nothing.
func TestCredentialsRefreshAfterRefusal(t *testing.T) {
	src := &sequenceSource{}
	c := newRotatingConnector(&mysql.Config{Net: "tcp", Addr: "127.0.0.1:1", DBName: "unused"}, src, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	src.set(Credentials{User: "app", Password: "first", Label: "AWSCURRENT"})
	stale, _, err := c.refresh(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	src.set(Credentials{User: "app", Password: "second", Label: "AWSCURRENT"})
	c.fetchedAt = time.Time{} // no minRefreshInterval pause: this test is about order, not spacing
	refused, _, err := c.refresh(ctx, stale)
	if err != nil {
		t.Fatal(err)
	}
	src.set(Credentials{User: "app", Password: "third", Label: "AWSCURRENT"})

	// Both callers arrive while the connector is busy (c.mu held), the stale
	// one first, so both are waiting on the same step when it is released.
	c.mu.Lock()
	c.fetchedAt = time.Time{}
	type result struct {
		gen   uint64
		cands []candidate
		err   error
	}
	staleDone, refusedDone := make(chan result, 1), make(chan result, 1)
	go func() { g, cs, err := c.refresh(ctx, stale); staleDone <- result{g, cs, err} }()
	waitParked(t, "TestCredentialsRefreshAfterRefusal.func1")
	go func() { g, cs, err := c.refresh(ctx, refused); refusedDone <- result{g, cs, err} }()
	waitParked(t, "TestCredentialsRefreshAfterRefusal.func2")
	c.mu.Unlock()

	s, r := <-staleDone, <-refusedDone
	if s.err != nil || r.err != nil {
		t.Fatal(s.err, r.err)
	}
	if s.gen <= stale {
		t.Errorf("the stale caller got generation %d, want one newer than its %d", s.gen, stale)
	}
	if r.gen <= refused || len(r.cands) != 1 || r.cands[0].creds.Password != "third" {
		t.Errorf("the refused caller got generation %d (%v), want a re-read newer than its %d, with the third password", r.gen, r.cands, refused)
	}
	if n := src.reads.Load(); n != 3 {
		t.Errorf("%d reads, want 3: two before, one for the refused caller", n)
	}
}

// waitParked waits until a goroutine running fn (a function name as
// runtime.Stack prints it) is blocked: on a lock, a channel or a select.
func waitParked(t *testing.T, fn string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	buf := make([]byte, 1<<20)
	for {
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, fn) && !strings.Contains(header, "[running]") && !strings.Contains(header, "[runnable]") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no goroutine running %s blocked within a minute", fn)
		}
		runtime.Gosched()
	}
}
