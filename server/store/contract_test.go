package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// backends opens fresh databases of each kind; the same contract runs on all.
var backends = map[string]func(t *testing.T) store.Target{
	"sqlite": func(t *testing.T) store.Target {
		return store.Target{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "sub", "empctl.db")}
	},
	"mariadb": func(t *testing.T) store.Target {
		return store.Target{Driver: "mysql", DSN: testenv.MySQLDSN(t)}
	},
}

func open(t *testing.T, target store.Target) store.Store {
	t.Helper()
	s, _, err := store.Open(context.Background(), target)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	for name, fresh := range backends {
		t.Run(name, func(t *testing.T) {
			target := fresh(t)
			t.Run("Users", func(t *testing.T) { testUsers(t, open(t, target)) })
			t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t, target)) })
			t.Run("ConcurrentStart", func(t *testing.T) { testConcurrentStart(t, fresh(t)) })
		})
	}
}

var now = time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)

func newUser(email string) store.NewUser {
	return store.NewUser{Email: email, PasswordHash: "$2a$04$hash", FirstName: "Ada", LastName: "Lovelace", BirthDate: "1990-12-10"}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, err := s.CreateUser(ctx, newUser("ada@example.com"), now)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID <= 0 || !u.CreatedAt.Equal(now) {
		t.Fatalf("CreateUser returned %+v", u)
	}
	if _, err := s.CreateUser(ctx, newUser("ada@example.com"), now); !errors.Is(err, store.ErrEmailTaken) {
		t.Fatalf("duplicate email: got %v, want ErrEmailTaken", err)
	}
	keyed := newUser("kay@example.com")
	keyed.SignUpKey = strings.Repeat("ab", 32)
	k, err := s.CreateUser(ctx, keyed, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserBySignUp(ctx, "kay@example.com", keyed.SignUpKey); err != nil || got.ID != k.ID {
		t.Fatalf("UserBySignUp with its key: %+v, %v", got, err)
	}
	for _, q := range [][2]string{{"kay@example.com", strings.Repeat("cd", 32)}, {"ada@example.com", keyed.SignUpKey}, {"ada@example.com", ""}} {
		if _, err := s.UserBySignUp(ctx, q[0], q[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UserBySignUp(%q, %q): %v, want ErrNotFound", q[0], q[1], err)
		}
	}
	got, err := s.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got != u {
		t.Fatalf("UserByEmail = %+v, want %+v", got, u)
	}
	if got, err = s.UserByID(ctx, u.ID); err != nil || got != u {
		t.Fatalf("UserByID = %+v, %v; want %+v", got, err, u)
	}
	if _, err := s.UserByID(ctx, u.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UserByID(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UserByEmail(missing) = %v, want ErrNotFound", err)
	}

	last, birth := "King", "2010-02-28"
	later := now.Add(time.Hour)
	up, err := s.UpdateProfile(ctx, u.ID, store.ProfileUpdate{LastName: &last, BirthDate: &birth}, later)
	if err != nil {
		t.Fatal(err)
	}
	if up.FirstName != "Ada" || up.LastName != "King" || up.BirthDate != "2010-02-28" || !up.UpdatedAt.Equal(later) || !up.CreatedAt.Equal(now) {
		t.Fatalf("UpdateProfile = %+v", up)
	}
	if _, err := s.UpdateProfile(ctx, u.ID, store.ProfileUpdate{}, later); err != nil {
		t.Fatalf("empty update: %v", err)
	}
	if _, err := s.UpdateProfile(ctx, u.ID+1000, store.ProfileUpdate{LastName: &last}, later); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateProfile(missing) = %v, want ErrNotFound", err)
	}

	created, err := store.EnsureUser(ctx, s, newUser("ada@example.com"), now)
	if err != nil || created {
		t.Fatalf("EnsureUser(existing) = %v, %v; want false, nil", created, err)
	}
	created, err = store.EnsureUser(ctx, s, newUser("demo@example.com"), now)
	if err != nil || !created {
		t.Fatalf("EnsureUser(new) = %v, %v; want true, nil", created, err)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, err := s.CreateUser(ctx, newUser("grace@example.com"), now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateUser(ctx, newUser("alan@example.com"), now)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(hash string, user int64, ttl time.Duration) {
		t.Helper()
		if err := s.CreateSession(ctx, store.Session{TokenHash: hash, UserID: user, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	mk(hashOf("a"), u.ID, time.Hour)
	mk(hashOf("b"), u.ID, time.Hour)
	mk(hashOf("c"), u.ID, time.Hour)
	mk(hashOf("o"), other.ID, time.Hour)

	got, err := s.SessionUser(ctx, hashOf("a"), now.Add(time.Minute))
	if err != nil || got.ID != u.ID {
		t.Fatalf("SessionUser = %+v, %v", got, err)
	}
	if _, err := s.SessionUser(ctx, hashOf("a"), now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v, want ErrNotFound", err)
	}
	if _, err := s.SessionUser(ctx, hashOf("zzz"), now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v, want ErrNotFound", err)
	}

	if err := s.DeleteSession(ctx, hashOf("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, hashOf("b"), now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session still valid: %v", err)
	}

	if err := s.SetPassword(ctx, u.ID, "$2a$04$new", hashOf("a"), now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, hashOf("a"), now); err != nil {
		t.Fatalf("kept session revoked: %v", err)
	}
	if _, err := s.SessionUser(ctx, hashOf("c"), now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other session survived a password change: %v", err)
	}
	if _, err := s.SessionUser(ctx, hashOf("o"), now); err != nil {
		t.Fatalf("another user's session was revoked: %v", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "$2a$04$new" {
		t.Fatalf("password hash = %q", got.PasswordHash)
	}
	if err := s.SetPassword(ctx, u.ID+1000, "x", "", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetPassword(missing) = %v, want ErrNotFound", err)
	}

	// A new login sweeps the user's expired sessions.
	mk(hashOf("old"), other.ID, time.Minute)
	if err := s.CreateSession(ctx, store.Session{TokenHash: hashOf("new"), UserID: other.ID, CreatedAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, hashOf("old")).Scan(&n); err != nil || n != 0 {
		t.Fatalf("expired session rows = %d, %v; want 0", n, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// testConcurrentStart opens three stores on one fresh database at once, as
// three replicas do, and checks each migration ran exactly once and the demo
// user exists once.
func testConcurrentStart(t *testing.T, target store.Target) {
	ctx := context.Background()
	var wg sync.WaitGroup
	stores := make([]store.Store, 3)
	applied := make([][]string, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			stores[i], applied[i], errs[i] = store.Open(ctx, target)
			if errs[i] == nil {
				_, errs[i] = store.EnsureUser(ctx, stores[i], newUser("demo@example.com"), now)
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range 3 {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		defer stores[i].Close()
		total += len(applied[i])
	}
	var migrations, dups, users int
	db := stores[0].DB()
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT version) FROM schema_migrations`).Scan(&migrations, &dups); err != nil {
		t.Fatal(err)
	}
	if migrations == 0 || dups != 0 || total != migrations {
		t.Fatalf("schema_migrations rows=%d duplicates=%d, applied across replicas=%d", migrations, dups, total)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM users WHERE email = ?`, "demo@example.com").Scan(&users); err != nil || users != 1 {
		t.Fatalf("demo users = %d, %v; want 1", users, err)
	}
	// A restart applies nothing.
	s, again, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(again) != 0 {
		t.Fatalf("second start applied %v", again)
	}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
