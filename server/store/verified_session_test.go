package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/empctl/empctl/server/store"
)

// TestSessionNeedsTheVerifiedHash: a session carrying the hash its login
// verified is created only while that is still the user's hash.
func TestSessionNeedsTheVerifiedHash(t *testing.T) {
	for name, fresh := range backends {
		t.Run(name, func(t *testing.T) {
			s, ctx := open(t, fresh(t)), context.Background()
			u, err := s.CreateUser(ctx, newUser("v@example.com"), now)
			if err != nil {
				t.Fatal(err)
			}
			sess := func(token, verified string) store.Session {
				return store.Session{TokenHash: hashOf(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(1e12), VerifiedHash: verified}
			}
			if err := s.CreateSession(ctx, sess("a", u.PasswordHash)); err != nil {
				t.Fatalf("with the current hash: %v", err)
			}
			if err := s.SetPassword(ctx, u.ID, "$2a$04$other", hashOf("a"), now); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateSession(ctx, sess("b", u.PasswordHash)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("with the replaced hash: %v, want ErrNotFound", err)
			}
			if _, err := s.SessionUser(ctx, hashOf("b"), now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a session from the replaced hash exists: %v", err)
			}
			// A password change from a revoked session changes nothing.
			if err := s.SetPassword(ctx, u.ID, "$2a$04$third", hashOf("gone"), now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("SetPassword from a revoked session: %v, want ErrNotFound", err)
			}
			if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "$2a$04$other" {
				t.Fatalf("hash changed to %q", got.PasswordHash)
			}
			if err := s.CreateSession(ctx, sess("c", "")); err != nil {
				t.Fatalf("without a verified hash: %v", err)
			}
			if err := s.CreateSession(ctx, store.Session{TokenHash: hashOf("d"), UserID: u.ID + 99, CreatedAt: now, ExpiresAt: now.Add(1e12)}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("for a missing user: %v, want ErrNotFound", err)
			}
		})
	}
}
