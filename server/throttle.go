package server

import (
	"math"
	"sync"
	"time"
)

// throttle counts failures per key in a sliding window. It lives in process
// memory: each replica throttles on its own (documented in server/README.md).
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
	sweep  int // map size that triggers the next sweep of stale keys
}

func newThrottle(limit int, window time.Duration, now func() time.Time) *throttle {
	return &throttle{limit: limit, window: window, now: now, fails: map[string][]time.Time{}, sweep: 1024}
}

// retryAfter is how long key must wait before its next attempt; 0 allows it.
func (t *throttle) retryAfter(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(key)
	if len(recent) < t.limit {
		return 0
	}
	return recent[len(recent)-t.limit].Add(t.window).Sub(t.now())
}

func (t *throttle) fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := append(t.recent(key), t.now())
	if len(recent) > t.limit { // older entries can no longer decide anything
		recent = recent[len(recent)-t.limit:]
	}
	t.fails[key] = recent
	if len(t.fails) >= t.sweep {
		for k := range t.fails {
			t.recent(k)
		}
		t.sweep = max(1024, 2*len(t.fails))
	}
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// recent drops the key's failures older than the window; callers hold mu.
func (t *throttle) recent(key string) []time.Time {
	list := t.fails[key]
	cutoff := t.now().Add(-t.window)
	i := 0
	for i < len(list) && !list[i].After(cutoff) {
		i++
	}
	if i == len(list) {
		delete(t.fails, key)
		return nil
	}
	list = list[i:]
	t.fails[key] = list
	return list
}

// seconds rounds a wait up to whole seconds for Retry-After.
func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
