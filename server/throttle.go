package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/empctl/empctl/server/store"
)

// guardPolicy are the limits on password verifications. Hard limits answer
// 429 until events age out of the window; the per-account failure limit is
// soft: past accountFree failures each attempt waits longer. A client the
// account signed in from recently (a known pair) is exempt from the
// per-account failure delay and from the per-client limits, so neither
// strangers guessing at the account nor others behind the same address can
// lock its owner out.
type guardPolicy struct {
	window           time.Duration // events older than this no longer count
	pairLimit        int           // failures per (account, client), hard
	clientLimit      int           // failures per client over all accounts, hard
	clientVerifs     int           // verifications (any outcome) per client, hard
	accountSuccesses int           // successful verifications per account, hard
	accountFree      int           // failures per account before delays start
	accountBase      time.Duration // first delay; doubles with each failure
	accountMaxDelay  time.Duration
	knownFor         time.Duration // how long a successful client stays exempt
}

var defaultGuardPolicy = guardPolicy{
	window: 15 * time.Minute, pairLimit: 5, clientLimit: 20, clientVerifs: 100, accountSuccesses: 60,
	accountFree: 20, accountBase: time.Second, accountMaxDelay: time.Minute,
	knownFor: 30 * 24 * time.Hour,
}

// pendingFor: a reservation not settled by then (its task died mid-request)
// stops counting; requests end within the 30 s write timeout.
const pendingFor = time.Minute

// maxPending bounds a key's reservations in flight (its row's size).
const maxPending = 64

// tally is one throttle key's recent events, in Unix milliseconds, oldest
// first; it is stored as JSON in the key's row of the shared database.
type tally struct {
	Fails   []int64 `json:"f,omitempty"`
	Pending []int64 `json:"p,omitempty"` // reservations in flight
	Counted []int64 `json:"c,omitempty"` // successes (account) or verifications (client), or a rateLimit's hits
	Known   int64   `json:"k,omitempty"` // a pair's last success
}

func decodeTally(s string) tally {
	var t tally
	_ = json.Unmarshal([]byte(s), &t) // a row the server cannot read counts as empty
	return t
}

// row writes t back with the time after which it says nothing.
func (t *tally) row(r *store.ThrottleRow, window, knownFor time.Duration) {
	var until int64
	for _, l := range [][]int64{t.Fails, t.Counted} {
		if len(l) > 0 {
			until = max(until, l[len(l)-1]+window.Milliseconds())
		}
	}
	if len(t.Pending) > 0 {
		until = max(until, t.Pending[len(t.Pending)-1]+pendingFor.Milliseconds())
	}
	if t.Known != 0 {
		until = max(until, t.Known+knownFor.Milliseconds())
	}
	if until == 0 {
		r.State, r.ExpiresAt = "", time.Time{}
		return
	}
	b, _ := json.Marshal(t)
	r.State, r.ExpiresAt = string(b), time.UnixMilli(until)
}

func (t *tally) prune(now time.Time, window time.Duration) {
	t.Fails = since(t.Fails, now.Add(-window))
	t.Counted = since(t.Counted, now.Add(-window))
	t.Pending = since(t.Pending, now.Add(-pendingFor))
}

func since(l []int64, cutoff time.Time) []int64 {
	c := cutoff.UnixMilli()
	i := 0
	for i < len(l) && l[i] <= c {
		i++
	}
	return l[i:]
}

// push appends at, keeping the newest keep entries.
func push(l []int64, at int64, keep int) []int64 {
	l = append(l, at)
	return l[max(0, len(l)-keep):]
}

// throttleKey names a throttle's row: a hash, so the table holds neither
// addresses nor e-mails.
func throttleKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// attemptGuard throttles password verifications (login and password change)
// with its state in the database every task shares, so the limits hold
// across tasks and restarts. A caller reserves an attempt before verifying
// and settles it afterwards; reservations count like failures, so a burst of
// concurrent requests, on one task or several, cannot run more
// verifications than the limits allow.
type attemptGuard struct {
	st  store.Store
	p   guardPolicy
	now func() time.Time
}

func newAttemptGuard(st store.Store, p guardPolicy, now func() time.Time) *attemptGuard {
	return &attemptGuard{st: st, p: p, now: now}
}

// attempt is a reserved verification; settle it exactly once.
type attempt struct {
	g                *attemptGuard
	pair, client, ac string // row keys; client is "" for an operator's
	at               int64  // the reservation's time, its entry in Pending
}

// keys are the rows the attempt counts on.
func (a *attempt) keys() []string {
	if a.client == "" {
		return []string{a.pair, a.ac}
	}
	return []string{a.pair, a.client, a.ac}
}

// reserve admits one verification for account from client, or says how long
// to wait; err is the database's. An operator's verification (one carrying
// the operator key, counted against the operator allowance instead) skips
// the per-client limits and leaves the client's row alone.
func (g *attemptGuard) reserve(ctx context.Context, account, client string, operator bool) (*attempt, time.Duration, error) {
	a := &attempt{g: g, pair: throttleKey("pair", account, client), ac: throttleKey("account", account)}
	if !operator {
		a.client = throttleKey("client", client)
	}
	var wait time.Duration
	err := g.st.Throttle(ctx, a.keys(), func(rows []store.ThrottleRow) error {
		now := g.now()
		a.at = now.UnixMilli()
		pair, cl, ac := g.load(rows, a.pair, now), g.load(rows, a.client, now), g.load(rows, a.ac, now)
		wait = max(hardWait(pair.Fails, len(pair.Pending), g.p.pairLimit, g.p.window, now),
			hardWait(ac.Counted, len(ac.Pending), g.p.accountSuccesses, g.p.window, now))
		if pair.Known == 0 || now.Sub(time.UnixMilli(pair.Known)) > g.p.knownFor {
			wait = max(wait, ac.softWait(g.p, now))
			if !operator {
				wait = max(wait, hardWait(cl.Fails, len(cl.Pending), g.p.clientLimit, g.p.window, now),
					hardWait(cl.Counted, len(cl.Pending), g.p.clientVerifs, g.p.window, now))
			}
		}
		if wait > 0 {
			return nil
		}
		for _, t := range []*tally{pair, cl, ac} {
			t.Pending = push(t.Pending, a.at, maxPending)
		}
		g.save(rows, map[string]*tally{a.pair: pair, a.client: cl, a.ac: ac})
		return nil
	})
	if err != nil || wait > 0 {
		return nil, wait, err
	}
	return a, 0, nil
}

// failed records a wrong password.
func (a *attempt) failed(ctx context.Context) error {
	return a.settle(ctx, func(now int64, pair, cl, ac *tally) {
		p := a.g.p
		pair.Fails = push(pair.Fails, now, p.pairLimit)
		cl.Fails = push(cl.Fails, now, p.clientLimit)
		cl.Counted = push(cl.Counted, now, p.clientVerifs)
		ac.Fails = push(ac.Fails, now, p.accountFree+16) // enough to reach the longest delay
	})
}

// succeeded counts the verification, clears the pair's failures and makes
// the pair known. The account's failures stay: they describe the attack,
// which a successful owner does not end.
func (a *attempt) succeeded(ctx context.Context) error {
	return a.settle(ctx, func(now int64, pair, cl, ac *tally) {
		pair.Fails, pair.Known = nil, now
		cl.Counted = push(cl.Counted, now, a.g.p.clientVerifs)
		ac.Counted = push(ac.Counted, now, a.g.p.accountSuccesses)
	})
}

// abandoned releases the reservation without a verdict (a database error,
// no hashing slot).
func (a *attempt) abandoned(ctx context.Context) error {
	return a.settle(ctx, func(int64, *tally, *tally, *tally) {})
}

func (a *attempt) settle(ctx context.Context, f func(now int64, pair, cl, ac *tally)) error {
	g := a.g
	// Settling must happen even when the client has gone.
	ctx = context.WithoutCancel(ctx)
	return g.st.Throttle(ctx, a.keys(), func(rows []store.ThrottleRow) error {
		now := g.now()
		pair, cl, ac := g.load(rows, a.pair, now), g.load(rows, a.client, now), g.load(rows, a.ac, now)
		for _, t := range []*tally{pair, cl, ac} {
			if i := slices.Index(t.Pending, a.at); i >= 0 {
				t.Pending = slices.Delete(t.Pending, i, i+1)
			}
		}
		f(now.UnixMilli(), pair, cl, ac)
		g.save(rows, map[string]*tally{a.pair: pair, a.client: cl, a.ac: ac})
		return nil
	})
}

func (g *attemptGuard) load(rows []store.ThrottleRow, key string, now time.Time) *tally {
	for _, r := range rows {
		if r.Key == key {
			t := decodeTally(r.State)
			t.prune(now, g.p.window)
			return &t
		}
	}
	return &tally{}
}

func (g *attemptGuard) save(rows []store.ThrottleRow, tallies map[string]*tally) {
	for i := range rows {
		if t, ok := tallies[rows[i].Key]; ok {
			t.row(&rows[i], g.p.window, g.p.knownFor)
		}
	}
}

// hardWait: counted events and attempts in flight together may not reach
// limit.
func hardWait(events []int64, inFlight, limit int, window time.Duration, now time.Time) time.Duration {
	switch {
	case len(events)+inFlight < limit:
		return 0
	case len(events) >= limit:
		return time.UnixMilli(events[len(events)-limit]).Add(window).Sub(now)
	default: // full only with attempts in flight: they settle within a second
		return time.Second
	}
}

// softWait: past p.accountFree failures, one attempt at a time, each after a
// delay that doubles with every further failure up to p.accountMaxDelay.
func (t *tally) softWait(p guardPolicy, now time.Time) time.Duration {
	n := len(t.Fails)
	if n+len(t.Pending) < p.accountFree {
		return 0
	}
	if len(t.Pending) > 0 {
		return time.Second
	}
	delay := p.accountMaxDelay
	if over := n - p.accountFree; over < 16 {
		delay = min(delay, p.accountBase<<over)
	}
	return time.UnixMilli(t.Fails[n-1]).Add(delay).Sub(now)
}

// rateLimit caps hits (successful or not) per key in a window, in the shared
// database like the guard; sign-ups and profile reads use it per client.
type rateLimit struct {
	st     store.Store
	name   string
	limit  int
	window time.Duration
	now    func() time.Time
}

// maxRateLimit is the most hits a rate limit can count per key: each is a
// millisecond timestamp of 14 bytes in the key's row, which holds
// store.MaxThrottleState bytes (about 290), less a margin. A row over that
// made every further hit answer 503 database_unavailable.
const maxRateLimit = 250

func newRateLimit(st store.Store, name string, limit int, window time.Duration, now func() time.Time) *rateLimit {
	return &rateLimit{st: st, name: name, limit: limit, window: window, now: now}
}

// take counts one hit for each key, or says how long to wait (and counts
// none) when one of them is at the limit.
func (l *rateLimit) take(ctx context.Context, keys ...string) (time.Duration, error) {
	var wait time.Duration
	err := l.update(ctx, keys, func(ts []*tally, now time.Time) {
		wait = 0
		for _, t := range ts {
			wait = max(wait, hardWait(t.Counted, 0, l.limit, l.window, now))
		}
		if wait == 0 {
			for _, t := range ts {
				t.Counted = push(t.Counted, now.UnixMilli(), l.limit)
			}
		}
	})
	return wait, err
}

// giveBack returns the last hit taken for key (the server, not the client,
// failed it).
func (l *rateLimit) giveBack(ctx context.Context, key string) error {
	return l.update(context.WithoutCancel(ctx), []string{key}, func(ts []*tally, _ time.Time) {
		if c := ts[0].Counted; len(c) > 0 {
			ts[0].Counted = c[:len(c)-1]
		}
	})
}

func (l *rateLimit) update(ctx context.Context, keys []string, f func([]*tally, time.Time)) error {
	rowKeys := make([]string, len(keys))
	for i, k := range keys {
		rowKeys[i] = throttleKey(l.name, k)
	}
	return l.st.Throttle(ctx, rowKeys, func(rows []store.ThrottleRow) error {
		now := l.now()
		ts := make([]*tally, len(rowKeys))
		for i, k := range rowKeys {
			idx := slices.IndexFunc(rows, func(r store.ThrottleRow) bool { return r.Key == k })
			t := decodeTally(rows[idx].State)
			t.prune(now, l.window)
			ts[i] = &t
		}
		f(ts, now)
		for i, k := range rowKeys {
			idx := slices.IndexFunc(rows, func(r store.ThrottleRow) bool { return r.Key == k })
			ts[i].row(&rows[idx], l.window, 0)
		}
		return nil
	})
}

// seconds rounds a wait up to whole seconds for Retry-After.
func seconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }
