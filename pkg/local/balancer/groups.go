package balancer

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync/atomic"

	"github.com/empctl/empctl/pkg/rollout"
)

// Group is a target group. Outside a progressive rollout every target is in
// the serving group; during one, the new version's targets are in GroupNew
// until Promote makes them the serving group.
type Group int

const (
	GroupServing Group = iota
	GroupNew
	// groupRetired holds the old version's targets once the new group is
	// promoted: they get no new requests while they drain.
	groupRetired
)

// Counter slots: one per routable group, and the test route's.
const (
	slotTest  = int(groupRetired)
	numGroups = slotTest + 1
)

// TestRouteHeader carries the test route's secret: a request with it reaches
// only the new group, as the ALB's test listener rule matches a header.
const TestRouteHeader = "X-Empctl-Test-Route"

// Counts are what one group answered: requests, the 5xx its targets
// answered, and the requests that got no answer from it (the balancer's
// 502, 503 or 504).
type Counts struct {
	Requests  int64 `json:"requests"`
	Target5xx int64 `json:"target5xx"`
	NoAnswer  int64 `json:"noAnswer"`
}

// Rollout is the gate's view: every failed request is an error.
func (c Counts) Rollout() rollout.Counts {
	return rollout.Counts{Requests: c.Requests, Errors: c.Target5xx + c.NoAnswer}
}

// Traffic is each group's counts since the last Promote or ResetSplit:
// production requests of the serving and the new group, and the test
// route's (all answered by the new group).
type Traffic struct {
	Serving Counts `json:"serving"`
	New     Counts `json:"new"`
	Test    Counts `json:"test"`
}

type counters struct{ requests, target5xx, noAnswer atomic.Int64 }

func (c *counters) load() Counts {
	return Counts{Requests: c.requests.Load(), Target5xx: c.target5xx.Load(), NoAnswer: c.noAnswer.Load()}
}

func (c *counters) reset() {
	c.requests.Store(0)
	c.target5xx.Store(0)
	c.noAnswer.Store(0)
}

func newTestKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// TestKey is the test route's secret header value, random per balancer.
func (b *Balancer) TestKey() string { return b.testKey }

// SetWeight sends percent (0–100) of production requests to the new group,
// from the next request on.
func (b *Balancer) SetWeight(percent float64) {
	b.weight.Store(int64(min(max(percent, 0), 100)*100 + 0.5))
}

// Weight is the new group's share of production requests, in percent.
func (b *Balancer) Weight() float64 { return float64(b.weight.Load()) / 100 }

// Traffic returns each group's counts.
func (b *Balancer) Traffic() Traffic {
	return Traffic{Serving: b.counters[GroupServing].load(), New: b.counters[GroupNew].load(), Test: b.counters[slotTest].load()}
}

// Promote makes the new group the serving one at once: the old serving
// targets get no new requests (drain them next), the weight and the
// counters start over.
func (b *Balancer) Promote() {
	b.mu.Lock()
	for _, t := range b.targets {
		switch t.group {
		case GroupServing:
			t.group = groupRetired
		case GroupNew:
			t.group = GroupServing
		}
	}
	b.mu.Unlock()
	b.ResetSplit()
}

// ResetSplit sends all production traffic to the serving group and clears
// the counters: a rollout's start, or its end.
func (b *Balancer) ResetSplit() {
	b.weight.Store(0)
	for i := range b.counters {
		b.counters[i].reset()
	}
}

// route is where one request goes: its group, and the group it may fall
// back to when its own has no target in service (production requests only,
// and never to the new group at weight 0).
type route struct {
	slot     int
	group    Group
	alt      Group
	hasAlt   bool
	noAnswer bool // the balancer answered for want of a target's answer
}

type routeKey struct{}

// routeRequest chooses the request's group: the test route's header sends it
// to the new group only; production requests go to the new group in the
// weight's proportion, spread evenly (the n-th request goes there when
// n×weight crosses a whole 100 %), so that a 10 % canary gets 10 %.
func (b *Balancer) routeRequest(r *http.Request) *route {
	if k := r.Header.Get(TestRouteHeader); k != "" && subtle.ConstantTimeCompare([]byte(k), []byte(b.testKey)) == 1 {
		return &route{slot: slotTest, group: GroupNew}
	}
	w := uint64(b.weight.Load())
	if w == 0 {
		return &route{slot: int(GroupServing), group: GroupServing}
	}
	n := b.seq.Add(1)
	if n*w/10000 != (n-1)*w/10000 {
		return &route{slot: int(GroupNew), group: GroupNew, alt: GroupServing, hasAlt: true}
	}
	return &route{slot: int(GroupServing), group: GroupServing, alt: GroupNew, hasAlt: true}
}

// pickRoute picks a target of the request's group, or of its fallback group
// when its own has none in service (the request is then counted there).
func (b *Balancer) pickRoute(rt *route) *target {
	if t := b.pick(rt.group, nil); t != nil || !rt.hasAlt {
		return t
	}
	t := b.pick(rt.alt, nil)
	if t != nil {
		rt.group, rt.slot, rt.hasAlt = rt.alt, int(rt.alt), false
	}
	return t
}

// count adds one answered request to its group's counters; a request whose
// client went away is nobody's failure and is not counted.
func (b *Balancer) count(rt *route, code int, clientGone bool) {
	if clientGone {
		return
	}
	c := &b.counters[rt.slot]
	c.requests.Add(1)
	switch {
	case rt.noAnswer:
		c.noAnswer.Add(1)
	case code >= 500:
		c.target5xx.Add(1)
	}
}

// statusWriter records the status code the client got.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Flush passes flushes through (the proxy flushes streamed responses).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
