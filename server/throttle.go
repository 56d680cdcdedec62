package server

import (
	"math"
	"sync"
	"time"
)

// guardPolicy are the limits on password guesses. Hard limits answer 429
// until failures age out of the window; the per-account limit is soft: past
// accountFree failures each attempt waits longer, and clients the account
// signed in from recently are exempt, so an attacker can slow an account down
// but not lock its owner out.
type guardPolicy struct {
	window          time.Duration // failures older than this no longer count
	pairLimit       int           // per (account, client), hard
	clientLimit     int           // per client over all accounts, hard
	accountFree     int           // per account before delays start
	accountBase     time.Duration // first delay; doubles with each failure
	accountMaxDelay time.Duration
	knownFor        time.Duration // how long a successful client stays exempt
}

var defaultGuardPolicy = guardPolicy{
	window: 15 * time.Minute, pairLimit: 5, clientLimit: 20,
	accountFree: 20, accountBase: time.Second, accountMaxDelay: time.Minute,
	knownFor: 30 * 24 * time.Hour,
}

// maxKnown bounds the memory of known clients (about 100 bytes each).
const maxKnown = 100_000

// attemptGuard throttles password verifications (login and password change).
// A caller reserves an attempt before verifying and settles it afterwards;
// reservations count like failures, so a burst of concurrent requests cannot
// run more verifications than the limits allow. It lives in process memory:
// each replica throttles on its own (documented in server/README.md).
type attemptGuard struct {
	mu       sync.Mutex
	p        guardPolicy
	now      func() time.Time
	pairs    map[string]*tally
	clients  map[string]*tally
	accounts map[string]*tally
	known    map[string]time.Time // pair key -> last success
	sweep    int                  // size of the maps that triggers the next sweep
}

// tally is one key's recent failures (oldest first) and attempts in flight.
type tally struct {
	fails    []time.Time
	inFlight int
}

func newAttemptGuard(p guardPolicy, now func() time.Time) *attemptGuard {
	return &attemptGuard{p: p, now: now, pairs: map[string]*tally{}, clients: map[string]*tally{},
		accounts: map[string]*tally{}, known: map[string]time.Time{}, sweep: 1024}
}

// attempt is a reserved verification; settle it exactly once.
type attempt struct {
	g                *attemptGuard
	pair, client, ac string
}

// reserve admits one verification for account from client, or says how long
// to wait.
func (g *attemptGuard) reserve(account, client string) (*attempt, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.maybeSweep(now)
	pk := account + "\x00" + client
	pair, cl, ac := g.get(g.pairs, pk, now), g.get(g.clients, client, now), g.get(g.accounts, account, now)
	wait := max(pair.hardWait(g.p.pairLimit, g.p.window, now), cl.hardWait(g.p.clientLimit, g.p.window, now))
	if last, ok := g.known[pk]; !ok || now.Sub(last) > g.p.knownFor {
		wait = max(wait, ac.softWait(g.p, now))
	}
	if wait > 0 {
		g.drop(g.pairs, pk, pair)
		g.drop(g.clients, client, cl)
		g.drop(g.accounts, account, ac)
		return nil, wait
	}
	pair.inFlight++
	cl.inFlight++
	ac.inFlight++
	return &attempt{g: g, pair: pk, client: client, ac: account}, 0
}

// failed records a wrong password.
func (a *attempt) failed() {
	a.settle(func(now time.Time, pair, cl, ac *tally) {
		pair.add(now, a.g.p.pairLimit)
		cl.add(now, a.g.p.clientLimit)
		ac.add(now, a.g.p.accountFree+16) // enough to reach the longest delay
	})
}

// succeeded clears the pair's failures and exempts the client from the
// account's soft limit. The account's failures stay: they describe the
// attack, which a successful owner does not end.
func (a *attempt) succeeded() {
	a.settle(func(now time.Time, pair, _, _ *tally) {
		pair.fails = nil
		if _, ok := a.g.known[a.pair]; !ok && len(a.g.known) >= maxKnown {
			for k := range a.g.known { // map order is random: evict one at random
				delete(a.g.known, k)
				break
			}
		}
		a.g.known[a.pair] = now
	})
}

// abandoned releases the reservation without a verdict (a database error).
func (a *attempt) abandoned() { a.settle(func(time.Time, *tally, *tally, *tally) {}) }

func (a *attempt) settle(f func(now time.Time, pair, cl, ac *tally)) {
	g := a.g
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	pair, cl, ac := g.get(g.pairs, a.pair, now), g.get(g.clients, a.client, now), g.get(g.accounts, a.ac, now)
	pair.inFlight--
	cl.inFlight--
	ac.inFlight--
	f(now, pair, cl, ac)
	g.drop(g.pairs, a.pair, pair)
	g.drop(g.clients, a.client, cl)
	g.drop(g.accounts, a.ac, ac)
}

// get returns key's tally without failures older than the window; callers
// hold mu.
func (g *attemptGuard) get(m map[string]*tally, key string, now time.Time) *tally {
	t := m[key]
	if t == nil {
		t = &tally{}
		m[key] = t
	}
	t.prune(now.Add(-g.p.window))
	return t
}

// drop forgets a tally with nothing left to say.
func (g *attemptGuard) drop(m map[string]*tally, key string, t *tally) {
	if len(t.fails) == 0 && t.inFlight == 0 {
		delete(m, key)
	}
}

func (g *attemptGuard) maybeSweep(now time.Time) {
	if len(g.pairs)+len(g.clients)+len(g.accounts)+len(g.known) < g.sweep {
		return
	}
	for _, m := range []map[string]*tally{g.pairs, g.clients, g.accounts} {
		for k := range m {
			g.drop(m, k, g.get(m, k, now))
		}
	}
	for k, last := range g.known {
		if now.Sub(last) > g.p.knownFor {
			delete(g.known, k)
		}
	}
	g.sweep = max(1024, 2*(len(g.pairs)+len(g.clients)+len(g.accounts)+len(g.known)))
}

func (t *tally) prune(cutoff time.Time) {
	i := 0
	for i < len(t.fails) && !t.fails[i].After(cutoff) {
		i++
	}
	t.fails = t.fails[i:]
}

func (t *tally) add(now time.Time, keep int) {
	t.fails = append(t.fails, now)
	if len(t.fails) > keep { // older entries can no longer decide anything
		t.fails = t.fails[len(t.fails)-keep:]
	}
}

// hardWait: failures and attempts in flight together may not reach limit.
func (t *tally) hardWait(limit int, window time.Duration, now time.Time) time.Duration {
	switch {
	case len(t.fails)+t.inFlight < limit:
		return 0
	case len(t.fails) >= limit:
		return t.fails[len(t.fails)-limit].Add(window).Sub(now)
	default: // full only with attempts in flight: they settle within a second
		return time.Second
	}
}

// softWait: past p.accountFree failures, one attempt at a time, each after a
// delay that doubles with every further failure up to p.accountMaxDelay.
func (t *tally) softWait(p guardPolicy, now time.Time) time.Duration {
	n := len(t.fails)
	if n+t.inFlight < p.accountFree {
		return 0
	}
	if t.inFlight > 0 {
		return time.Second
	}
	delay := p.accountMaxDelay
	if over := n - p.accountFree; over < 16 {
		delay = min(delay, p.accountBase<<over)
	}
	return t.fails[n-1].Add(delay).Sub(now)
}

// rateLimit caps attempts (successful or not) per key in a window; sign-up
// uses it per client.
type rateLimit struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	hits   map[string][]time.Time
	sweep  int
}

func newRateLimit(limit int, window time.Duration, now func() time.Time) *rateLimit {
	return &rateLimit{limit: limit, window: window, now: now, hits: map[string][]time.Time{}, sweep: 1024}
}

// take counts one attempt for key, or says how long to wait.
func (l *rateLimit) take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) >= l.sweep {
		for k := range l.hits {
			l.recent(k, now)
		}
		l.sweep = max(1024, 2*len(l.hits))
	}
	recent := l.recent(key, now)
	if len(recent) >= l.limit {
		return recent[len(recent)-l.limit].Add(l.window).Sub(now)
	}
	l.hits[key] = append(recent, now)
	return 0
}

// giveBack returns the last attempt taken for key (the server, not the
// client, failed it).
func (l *rateLimit) giveBack(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.hits[key]; len(h) > 0 {
		l.hits[key] = h[:len(h)-1]
	}
}

func (l *rateLimit) recent(key string, now time.Time) []time.Time {
	list := l.hits[key]
	i := 0
	for i < len(list) && !list[i].After(now.Add(-l.window)) {
		i++
	}
	if i == len(list) {
		delete(l.hits, key)
		return nil
	}
	list = list[i:]
	l.hits[key] = list
	return list
}

// seconds rounds a wait up to whole seconds for Retry-After.
func seconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }
