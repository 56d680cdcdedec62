package server

import (
	"fmt"
	"testing"
	"time"
)

func TestAttemptGuardPolicy(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	p := guardPolicy{window: time.Minute, pairLimit: 3, clientLimit: 5, accountFree: 4, accountBase: time.Second, accountMaxDelay: 8 * time.Second, knownFor: time.Hour}
	g := newAttemptGuard(p, c.Now)
	fail := func(account, client string) {
		t.Helper()
		a, wait := g.reserve(account, client)
		if a == nil {
			t.Fatalf("%s from %s refused for %v", account, client, wait)
		}
		a.failed()
	}
	// Hard per pair: the window starts at the oldest counted failure.
	for range 3 {
		fail("acct", "c1")
		c.Advance(10 * time.Second)
	}
	if _, wait := g.reserve("acct", "c1"); wait != 30*time.Second {
		t.Fatalf("pair wait %v, want 30s", wait)
	}
	// Reservations count while in flight.
	a, _ := g.reserve("other", "c2")
	b, _ := g.reserve("other", "c2")
	d, _ := g.reserve("other", "c2")
	if _, wait := g.reserve("other", "c2"); wait != time.Second {
		t.Fatalf("in-flight wait %v, want 1s", wait)
	}
	a.abandoned()
	b.succeeded()
	d.abandoned()
	// Soft per account: the fourth failure (from fresh clients) starts
	// delays of 1s, 2s, 4s, then the cap.
	c.Advance(time.Minute)
	for i := range 4 {
		fail("victim", fmt.Sprintf("s%d", i))
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if _, wait := g.reserve("victim", "new"); wait != want {
			t.Fatalf("delay %d = %v, want %v", i, wait, want)
		}
		c.Advance(want)
		fail("victim", fmt.Sprintf("x%d", i))
	}
	// A known client skips the soft limit.
	k, _ := g.reserve("victim2", "owner")
	k.succeeded()
	for i := range 6 {
		c.Advance(8 * time.Second)
		fail("victim2", fmt.Sprintf("y%d", i))
	}
	if a, wait := g.reserve("victim2", "owner"); a == nil {
		t.Fatalf("known client refused for %v", wait)
	}
	// Stale keys are swept, so attacker-chosen emails cannot grow memory.
	for i := range 3000 {
		fail(fmt.Sprintf("e:%d", i), fmt.Sprintf("z%d", i))
	}
	c.Advance(2 * time.Minute)
	for i := range 3000 {
		fail(fmt.Sprintf("n:%d", i), fmt.Sprintf("w%d", i))
	}
	if _, stale := g.accounts["e:0"]; stale || len(g.accounts) > 3001 {
		t.Fatalf("guard keeps %d accounts, stale ones among them: %v", len(g.accounts), stale)
	}
	if seconds(1500*time.Millisecond) != 2 {
		t.Fatal("Retry-After must round up")
	}
}
