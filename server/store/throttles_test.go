package store_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/server/store"
)

// TestThrottleShared: three stores on one database (three tasks) update
// overlapping throttle keys at once; no update is lost, so the throttles'
// read-modify-write is atomic across processes. Then expiry and Sweep.
func TestThrottleShared(t *testing.T) {
	for name, fresh := range backends {
		t.Run(name, func(t *testing.T) {
			target := fresh(t)
			stores := []store.Store{open(t, target), open(t, target), open(t, target)}
			ctx := context.Background()
			const perStore = 30
			var wg sync.WaitGroup
			errs := make(chan error, 3*perStore)
			for i, s := range stores {
				for j := range perStore {
					keys := []string{"a", "b"}
					if j%2 == 1 {
						keys = []string{"c", "b"} // another order: locks are still taken in key order
					}
					wg.Go(func() {
						errs <- s.Throttle(ctx, keys, func(rows []store.ThrottleRow) error {
							for k := range rows {
								n, _ := strconv.Atoi(rows[k].State)
								rows[k].State = strconv.Itoa(n + 1)
								rows[k].ExpiresAt = now.Add(time.Duration(i+1) * time.Minute)
							}
							return nil
						})
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]string{}
			if err := stores[1].Throttle(ctx, []string{"a", "b", "c", "d"}, func(rows []store.ThrottleRow) error {
				for _, r := range rows {
					got[r.Key] = r.State
				}
				rows[0].ExpiresAt = time.Time{} // "a": deleted at once
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"a": fmt.Sprint(3 * perStore / 2), "b": fmt.Sprint(3 * perStore), "c": fmt.Sprint(3 * perStore / 2), "d": ""}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("after %d concurrent updates from 3 stores: %v, want %v", 3*perStore, got, want)
			}

			// Sweep deletes what expired: throttle rows and sessions.
			u, err := stores[0].CreateUser(ctx, newUser("sweep@example.com"), now)
			if err != nil {
				t.Fatal(err)
			}
			if err := stores[0].CreateSession(ctx, store.Session{TokenHash: hashOf("old"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := stores[2].Sweep(ctx, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			var rows, sessions int
			db := stores[0].DB()
			if err := db.QueryRow(`SELECT COUNT(*) FROM throttles`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&sessions); err != nil {
				t.Fatal(err)
			}
			if rows != 0 || sessions != 0 {
				t.Fatalf("after Sweep: %d throttle rows, %d sessions; want none", rows, sessions)
			}
			if err := stores[0].Throttle(ctx, []string{string(make([]byte, 65))}, func([]store.ThrottleRow) error { return nil }); err == nil {
				t.Fatal("a 65-byte key was accepted")
			}
		})
	}
}

// TestSessionsPerUserCapped: logging in again and again keeps the newest
// MaxSessionsPerUser sessions; the oldest are revoked.
func TestSessionsPerUserCapped(t *testing.T) {
	for name, fresh := range backends {
		t.Run(name, func(t *testing.T) {
			s := open(t, fresh(t))
			ctx := context.Background()
			u, err := s.CreateUser(ctx, newUser("many@example.com"), now)
			if err != nil {
				t.Fatal(err)
			}
			n := store.MaxSessionsPerUser + 5
			for i := range n {
				at := now.Add(time.Duration(i) * time.Second)
				if err := s.CreateSession(ctx, store.Session{TokenHash: hashOf(fmt.Sprint(i)), UserID: u.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			for i := range n {
				_, err := s.SessionUser(ctx, hashOf(fmt.Sprint(i)), now.Add(time.Minute))
				if live := err == nil; live != (i >= n-store.MaxSessionsPerUser) {
					t.Fatalf("session %d of %d: live=%v (%v)", i, n, live, err)
				}
			}
		})
	}
}
