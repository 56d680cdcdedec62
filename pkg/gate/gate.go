// Package gate is the client-observed check that promotes a progressive
// rollout (rollout.Gate): before any production traffic reaches a new
// version it sends verify-zero-downtime's request mix through the test route
// and audits every write it acknowledged; during each production step and
// the final bake it keeps a light probe load on the public endpoint while
// reading each version's production counts, and stops the rollout at the
// first sign that the new version fails what the old one does not.
package gate

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/rollout"
)

// Option changes a gate's defaults.
type Option func(*gate)

// WithTestRate sets the test load's requests per second (default: enough to
// send TestRequests in TestDuration, at least 5).
func WithTestRate(n int) Option { return func(g *gate) { g.testRate = n } }

// WithProbeRate sets the probe load's requests per second during a step
// (default 10: light next to production traffic).
func WithProbeRate(n int) Option { return func(g *gate) { g.probeRate = n } }

// WithPoll sets how often Watch reads the traffic counts and Test reports
// progress (default 1 s; AWS's metrics are per minute anyway).
func WithPoll(d time.Duration) Option { return func(g *gate) { g.poll = d } }

// WithHeader adds h to every request of the test load, its audit and its
// lock (the environment's operator key, so that the gate's sign-ups and
// sign-ins count against the operator allowance).
func WithHeader(h http.Header) Option { return func(g *gate) { g.header = h } }

type gate struct {
	cfg       rollout.GateConfig
	testRate  int
	probeRate int
	poll      time.Duration
	header    http.Header
}

// New is the gate with cfg's sizes.
func New(cfg rollout.GateConfig, opts ...Option) rollout.Gate {
	g := &gate{cfg: cfg, probeRate: 10, poll: time.Second}
	for _, o := range opts {
		o(g)
	}
	if g.testRate <= 0 {
		g.testRate = 50
		if secs := cfg.TestDuration.Seconds(); secs > 0 {
			g.testRate = int(float64(cfg.TestRequests)/secs + 0.999)
		}
		g.testRate = max(g.testRate, 5)
	}
	return g
}

// failures counts a load's failed requests as they finish and remembers the
// first, so that a verdict can name it.
type failures struct {
	mu    sync.Mutex
	n     int
	first string
	seen  chan struct{} // closed at the first failure
}

func newFailures() *failures { return &failures{seen: make(chan struct{})} }

// record notes res if it failed: no answer, or an HTTP error (as the
// verify report counts failures).
func (f *failures) record(res loadtest.Result) {
	if res.Err == "" && res.Code > 0 && res.Code < 400 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.n == 1 {
		what := res.Err
		if what == "" {
			what = fmt.Sprintf("HTTP %d %s", res.Code, http.StatusText(res.Code))
		}
		path := res.URL
		if i := strings.Index(path, "://"); i >= 0 {
			if j := strings.IndexByte(path[i+3:], '/'); j >= 0 {
				path = path[i+3+j:]
			}
		}
		path, _, _ = strings.Cut(path, "#")
		f.first = fmt.Sprintf("%s %s: %s", res.Method, path, what)
		close(f.seen)
	}
}

func (f *failures) get() (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n, f.first
}
