package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkLoginThrottleCost measures one login at bcrypt's minimum cost on
// SQLite, so that what the throttle costs is not hidden behind the hash:
// 200 sequential logins of 10 accounts from 200 client addresses, then the
// throttle's reservation and settlement alone. Run with `make bench`;
// server/README.md has the figures before and after the throttle moved into
// the database.
func BenchmarkLoginThrottleCost(b *testing.B) {
	st, srv := benchServer(b, bcrypt.MinCost)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	post := func(path, from string, body any) int {
		return benchPost(b, client, srv.URL+path, from, body)
	}
	for i := range 10 {
		if code := post("/api/users", fmt.Sprintf("198.51.100.%d", i), signUpBody(fmt.Sprintf("cost%d@example.com", i))); code != http.StatusCreated {
			b.Fatalf("sign-up: %d", code)
		}
	}
	const logins = 200
	for range b.N {
		start := time.Now()
		for i := range logins {
			body := map[string]string{"email": fmt.Sprintf("cost%d@example.com", i%10), "password": "correct horse battery"}
			if code := post("/api/login", fmt.Sprintf("10.9.%d.%d", i/250, i%250), body); code != http.StatusOK {
				b.Fatalf("login %d: %d", i, code)
			}
		}
		per := time.Since(start) / logins
		// The throttle alone: a reservation and its settlement, as a
		// successful login makes them.
		g := newAttemptGuard(st, defaultGuardPolicy, time.Now)
		start = time.Now()
		for i := range logins {
			a, _, err := g.reserve(context.Background(), fmt.Sprintf("bench%d", i%10), fmt.Sprintf("10.8.%d.%d", i/250, i%250), false)
			if err != nil || a == nil {
				b.Fatalf("reserve %d: %v", i, err)
			}
			if err := a.succeeded(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		guard := time.Since(start) / logins
		fmt.Printf("\nlogin at bcrypt's minimum cost, SQLite: %v per login (%d logins); the throttle's share: %v\n",
			per.Round(10*time.Microsecond), logins, guard.Round(10*time.Microsecond))
		b.ReportMetric(ms(per), "ms/login")
		b.ReportMetric(ms(guard), "throttle_ms/login")
	}
}
