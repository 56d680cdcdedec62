package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/server/store"
)

func TestAttemptGuardPolicy(t *testing.T) {
	ctx := context.Background()
	st, _, err := store.Open(ctx, sqliteTarget(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Unix(1e9, 0)}
	p := guardPolicy{window: time.Minute, pairLimit: 3, clientLimit: 5, clientVerifs: 100, accountSuccesses: 100,
		accountFree: 4, accountBase: time.Second, accountMaxDelay: 8 * time.Second, knownFor: time.Hour}
	g := newAttemptGuard(st, p, c.Now)
	reserve := func(account, client string) (*attempt, time.Duration) {
		t.Helper()
		a, wait, err := g.reserve(ctx, account, client, false)
		if err != nil {
			t.Fatal(err)
		}
		return a, wait
	}
	settle := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fail := func(account, client string) {
		t.Helper()
		a, wait := reserve(account, client)
		if a == nil {
			t.Fatalf("%s from %s refused for %v", account, client, wait)
		}
		settle(a.failed(ctx))
	}
	// Hard per pair: the window starts at the oldest counted failure.
	for range 3 {
		fail("acct", "c1")
		c.Advance(10 * time.Second)
	}
	if _, wait := reserve("acct", "c1"); wait != 30*time.Second {
		t.Fatalf("pair wait %v, want 30s", wait)
	}
	// Reservations count while in flight.
	a, _ := reserve("other", "c2")
	c.Advance(time.Millisecond) // each reservation has its own entry
	b, _ := reserve("other", "c2")
	c.Advance(time.Millisecond)
	d, _ := reserve("other", "c2")
	if _, wait := reserve("other", "c2"); wait != time.Second {
		t.Fatalf("in-flight wait %v, want 1s", wait)
	}
	settle(a.abandoned(ctx))
	settle(b.succeeded(ctx))
	settle(d.abandoned(ctx))
	// Soft per account: the fourth failure (from fresh clients) starts
	// delays of 1s, 2s, 4s, then the cap.
	c.Advance(time.Minute)
	for i := range 4 {
		fail("victim", fmt.Sprintf("s%d", i))
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if _, wait := reserve("victim", "new"); wait != want {
			t.Fatalf("delay %d = %v, want %v", i, wait, want)
		}
		c.Advance(want)
		fail("victim", fmt.Sprintf("x%d", i))
	}
	// A known client skips the soft limit.
	k, _ := reserve("victim2", "owner")
	settle(k.succeeded(ctx))
	for i := range 6 {
		c.Advance(8 * time.Second)
		fail("victim2", fmt.Sprintf("y%d", i))
	}
	if a, wait := reserve("victim2", "owner"); a == nil {
		t.Fatalf("known client refused for %v", wait)
	} else {
		settle(a.abandoned(ctx))
	}
	// Successes count too: per account, and per client for clients the
	// account does not know.
	g.p.accountSuccesses, g.p.clientVerifs = 3, 4
	for i := range 3 {
		a, wait := reserve("busy", fmt.Sprintf("b%d", i))
		if a == nil {
			t.Fatalf("success %d refused for %v", i, wait)
		}
		settle(a.succeeded(ctx))
	}
	if _, wait := reserve("busy", "b0"); wait != time.Minute {
		t.Fatalf("fourth success in the window: wait %v, want 1m", wait)
	}
	for i := range 4 {
		a, _ := reserve(fmt.Sprintf("acct%d", i), "shared")
		settle(a.succeeded(ctx))
	}
	if _, wait := reserve("acct9", "shared"); wait != time.Minute {
		t.Fatalf("fifth verification from one client: wait %v, want 1m", wait)
	}
	if a, wait := reserve("acct0", "shared"); a == nil {
		t.Fatalf("a client known to the account refused for %v", wait)
	}
	// Stale keys are deleted, so attacker-chosen emails cannot grow the table.
	for i := range 300 {
		fail(fmt.Sprintf("e:%d", i), fmt.Sprintf("z%d", i))
	}
	c.Advance(2 * time.Hour)
	if err := st.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM throttles`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("after the window and the known period, %d throttle rows are left (%v)", rows, err)
	}
	if seconds(1500*time.Millisecond) != 2 {
		t.Fatal("Retry-After must round up")
	}
}

// TestSignUpLimitAboveWhatARowHolds: a sign-up limit above maxRateLimit
// (the local stack asks for 1000) counts up to maxRateLimit and then answers
// 429; it answered 503 database_unavailable from the 293rd sign-up of the
// hour on, when the throttle's row outgrew store.MaxThrottleState.
func TestSignUpLimitAboveWhatARowHolds(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), func(d *Deps) { d.SignUpsPerHour = 1000 })
	for i := range maxRateLimit {
		h.expect(h.do("POST", "/api/users", "", signUpBody(fmt.Sprintf("u%d@example.com", i))), http.StatusCreated, "")
	}
	h.expect(h.do("POST", "/api/users", "", signUpBody("one-more@example.com")), http.StatusTooManyRequests, "too_many_sign_ups")
	if !strings.Contains(h.logs.String(), "SIGN_UPS_PER_HOUR is more than the throttle can count") {
		t.Error("no warning that SIGN_UPS_PER_HOUR was lowered")
	}
	var full tally
	for range maxRateLimit {
		full.Counted = append(full.Counted, time.Date(2286, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()) // 14 digits
	}
	if b, _ := json.Marshal(full); len(b) > store.MaxThrottleState {
		t.Errorf("%d hits take %d bytes, more than a throttle row's %d", maxRateLimit, len(b), store.MaxThrottleState)
	}
}
