package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/empctl/empctl/server/store"
)

// budgetBucket is the resolution of a budget: its hits are counted per
// minute, so that a limit in the thousands fits a throttle row (at most
// 4 KB) where a timestamp per hit would not.
const budgetBucket = time.Minute

// budget caps hits on one key for the whole service in a window, in the
// shared database like rateLimit, counted by the minute: a hit counts until
// its minute is a whole window old (so up to a minute longer than exactly).
type budget struct {
	st     store.Store
	key    string
	limit  int
	window time.Duration
	now    func() time.Time
}

func newBudget(st store.Store, name string, limit int, window time.Duration, now func() time.Time) *budget {
	return &budget{st: st, key: throttleKey("budget", name), limit: limit, window: window, now: now}
}

// buckets is a budget's row: [minute since the Unix epoch, hits], oldest
// first.
type buckets struct {
	B [][2]int64 `json:"b,omitempty"`
}

// take counts one hit, or says how long to wait (and counts none).
func (b *budget) take(ctx context.Context) (time.Duration, error) {
	var wait time.Duration
	err := b.update(ctx, func(bs *buckets, now time.Time) {
		wait = 0
		total := 0
		for _, e := range bs.B {
			total += int(e[1])
		}
		if total >= b.limit {
			// Wait until enough of the oldest minutes have aged out.
			for _, e := range bs.B {
				total -= int(e[1])
				if total < b.limit {
					wait = b.ends(e[0]).Sub(now)
					break
				}
			}
			wait = max(wait, time.Second)
			return
		}
		m := now.UnixMilli() / budgetBucket.Milliseconds()
		if n := len(bs.B); n > 0 && bs.B[n-1][0] == m {
			bs.B[n-1][1]++
		} else {
			bs.B = append(bs.B, [2]int64{m, 1})
		}
	})
	return wait, err
}

// giveBack returns the newest hit (the server, not the client, failed it).
func (b *budget) giveBack(ctx context.Context) error {
	return b.update(context.WithoutCancel(ctx), func(bs *buckets, _ time.Time) {
		if n := len(bs.B); n > 0 {
			if bs.B[n-1][1]--; bs.B[n-1][1] <= 0 {
				bs.B = bs.B[:n-1]
			}
		}
	})
}

// ends is when minute m's hits stop counting.
func (b *budget) ends(m int64) time.Time {
	return time.UnixMilli((m + 1) * budgetBucket.Milliseconds()).Add(b.window)
}

func (b *budget) update(ctx context.Context, f func(*buckets, time.Time)) error {
	return b.st.Throttle(ctx, []string{b.key}, func(rows []store.ThrottleRow) error {
		now := b.now()
		var bs buckets
		_ = json.Unmarshal([]byte(rows[0].State), &bs) // a row the server cannot read counts as empty
		i := 0
		for i < len(bs.B) && !b.ends(bs.B[i][0]).After(now) {
			i++
		}
		bs.B = bs.B[i:]
		f(&bs, now)
		if len(bs.B) == 0 {
			rows[0].State, rows[0].ExpiresAt = "", time.Time{}
			return nil
		}
		s, _ := json.Marshal(bs)
		rows[0].State, rows[0].ExpiresAt = string(s), b.ends(bs.B[len(bs.B)-1][0])
		return nil
	})
}
