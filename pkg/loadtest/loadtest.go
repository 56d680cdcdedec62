// Package loadtest drives constant-rate HTTP load with vegeta and turns the
// results into a zero-downtime report: failures by kind, latency before,
// during and after a rollout, and which versions answered each second.
package loadtest

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target is one kind of request of the mix.
type Target struct {
	Name   string
	Method string
	// URL is absolute.
	URL    string
	Header http.Header
	Body   []byte
	// Weight is the target's share of the mix, relative to the others'.
	Weight int
	// Vary, if set, makes each request of this target from a copy of its URL,
	// header and body (a unique e-mail, a sequence number). It returns false
	// to skip this turn; the next target of the mix is sent instead.
	Vary func(*Request) bool
}

// Request is one request of a target, for Vary to change.
type Request struct {
	URL    string
	Header http.Header
	Body   []byte
}

// Result is one finished request, as Options.OnResult sees it.
type Result struct {
	Method string
	URL    string
	// Code is the HTTP status, 0 when no response came.
	Code int
	Body []byte
	Err  string
}

// Options configure a load run.
type Options struct {
	Rate    int // requests per second
	Targets []Target
	// Timeout is each request's deadline (10 s).
	Timeout time.Duration
	// OnResult, if set, sees every finished request (the write audit uses it),
	// one at a time.
	OnResult func(Result)
}

// Phases of a run, as Mark names them.
const (
	PhaseBefore = "before"
	PhaseDuring = "during"
	PhaseAfter  = "after"
)

// Run is load in progress.
type Run struct {
	opts     Options
	attacker *vegeta.Attacker
	results  <-chan *vegeta.Result
	started  time.Time

	mu    sync.Mutex
	marks []mark
	hits  []hit
	done  chan struct{}
}

type mark struct {
	at    time.Time
	phase string
}

// hit is the part of a vegeta result the report needs.
type hit struct {
	at      time.Time
	latency time.Duration
	code    uint16
	err     string
	version string
}

// Start begins sending opts.Rate requests per second, cycling through the
// targets by weight, in phase "before".
func Start(opts Options) *Run {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	cycle := interleave(opts.Targets)
	var n atomic.Uint64
	targeter := func(tgt *vegeta.Target) error {
		for range len(cycle) {
			t := cycle[(n.Add(1)-1)%uint64(len(cycle))]
			req := Request{URL: t.URL, Header: t.Header, Body: t.Body}
			if t.Vary != nil && !t.Vary(&req) {
				continue
			}
			// vegeta copies the header into each request: sharing it is safe.
			*tgt = vegeta.Target{Method: t.Method, URL: req.URL, Header: req.Header, Body: req.Body}
			return nil
		}
		return errors.New("every target of the mix skipped its turn")
	}
	r := &Run{opts: opts, done: make(chan struct{})}
	r.attacker = vegeta.NewAttacker(vegeta.Timeout(opts.Timeout), vegeta.KeepAlive(true), vegeta.Workers(16), vegeta.Redirects(vegeta.NoFollow))
	r.started = time.Now()
	r.marks = []mark{{r.started, PhaseBefore}}
	r.results = r.attacker.Attack(targeter, vegeta.Rate{Freq: opts.Rate, Per: time.Second}, 0, "empctl-verify")
	go r.collect()
	return r
}

// interleave lists the targets by weight, spread out rather than in blocks
// (smooth weighted round robin, as nginx balances): weights 2 and 1 give
// a b a, not a a b.
func interleave(ts []Target) []Target {
	total := 0
	for _, t := range ts {
		total += max(t.Weight, 1)
	}
	cur := make([]int, len(ts))
	out := make([]Target, 0, total)
	for range total {
		best := 0
		for i, t := range ts {
			cur[i] += max(t.Weight, 1)
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, ts[best])
	}
	return out
}

func (r *Run) collect() {
	defer close(r.done)
	for res := range r.results {
		if r.opts.OnResult != nil {
			r.opts.OnResult(Result{Method: res.Method, URL: res.URL, Code: int(res.Code), Body: res.Body, Err: res.Error})
		}
		h := hit{at: res.Timestamp, latency: res.Latency, code: res.Code, err: res.Error}
		if res.Headers != nil {
			h.version = res.Headers.Get("X-App-Version")
		}
		r.mu.Lock()
		r.hits = append(r.hits, h)
		r.mu.Unlock()
	}
}

// Mark starts a new phase now; later requests count towards it.
func (r *Run) Mark(phase string) {
	r.mu.Lock()
	r.marks = append(r.marks, mark{time.Now(), phase})
	r.mu.Unlock()
}

// Count is the number of requests finished so far.
func (r *Run) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.hits)
}

// Stop ends the load, waits for the requests in flight, and returns the raw
// results. It may be called again (deferred, say): later calls return the same requests.
func (r *Run) Stop() *Results {
	r.attacker.Stop()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return &Results{Started: r.started, Ended: time.Now(), Rate: r.opts.Rate, hits: r.hits, marks: r.marks}
}

// Results are a finished run's requests and phase marks.
type Results struct {
	Started, Ended time.Time
	Rate           int
	hits           []hit
	marks          []mark
}

// phaseAt returns the phase a request sent at t belongs to.
func (rs *Results) phaseAt(t time.Time) string {
	phase := PhaseBefore
	for _, m := range rs.marks {
		if !t.Before(m.at) {
			phase = m.phase
		}
	}
	return phase
}
