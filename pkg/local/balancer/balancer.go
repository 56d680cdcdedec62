// Package balancer is the local stand-in for an ALB and its target groups:
// round-robin routing to healthy targets, active health checks, draining,
// and replays of requests a dying target cut off when that is safe. For a
// progressive rollout it holds a second target group (the new version's):
// production traffic is split between the groups by weight, a test route
// reaches only the new group, and each group's answers are counted
// (groups.go).
package balancer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Health is a target's state, named as an ALB target group names it.
type Health string

const (
	HealthInitial   Health = "initial"   // registered, health checks not yet passed
	HealthHealthy   Health = "healthy"   // receives requests
	HealthUnhealthy Health = "unhealthy" // failed UnhealthyThreshold checks in a row
	HealthDraining  Health = "draining"  // deregistering: no new requests
)

// HealthCheck configures the balancer's active health checks.
type HealthCheck struct {
	Path               string
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
}

// DefaultHealthCheck is fast enough for a local rollout: 1 s, 2 healthy, 2 unhealthy.
func DefaultHealthCheck() HealthCheck {
	return HealthCheck{Path: "/readyz", Interval: time.Second, Timeout: 2 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2}
}

type target struct {
	id       string
	addr     string
	health   Health // guarded by Balancer.mu
	ok, fail int    // consecutive check results, guarded by Balancer.mu
	inflight atomic.Int64
	group    Group         // guarded by Balancer.mu
	healthy  chan struct{} // closed the first time the target turns healthy
	stop     chan struct{} // stops the health checker
}

// Balancer is the local stand-in for an ALB and its target group: it routes
// each request round-robin to a healthy target, checks targets' health
// actively, and drains deregistered targets.
type Balancer struct {
	hc       HealthCheck
	onChange func(id string, h Health)

	mu      sync.RWMutex
	targets []*target
	closed  bool // after Close, Register starts no health checks
	next    atomic.Uint64

	// The progressive rollout's split (groups.go): the new group's weight in
	// hundredths of a percent, the test route's secret header value, and
	// each group's counters.
	weight   atomic.Int64
	seq      atomic.Uint64
	testKey  string
	counters [numGroups]counters

	checker   *http.Client
	transport *http.Transport
	proxy     *httputil.ReverseProxy
}

// New returns a balancer with no targets. onChange, if set, is called
// (outside locks) on every health transition.
func New(hc HealthCheck, onChange func(id string, h Health)) *Balancer {
	b := &Balancer{hc: hc, onChange: onChange, testKey: newTestKey()}
	b.checker = &http.Client{Timeout: hc.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	b.transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
		// Pass Accept-Encoding and compressed bodies through as they are, as an
		// ALB does, rather than asking for gzip and unpacking it here.
		DisableCompression: true,
		// Shorter than the server's idle timeout, so the balancer closes idle
		// connections before a replica does.
		IdleConnTimeout: 30 * time.Second,
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "target" // replaced by the transport with the chosen target
			// As the ALB does, append the client's address to what the client
			// sent in X-Forwarded-For (the server reads only the last entry);
			// as CloudFront does, set CloudFront-Viewer-Address, replacing any
			// the client sent. The replicas trust both from loopback.
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
			pr.Out.Header.Del("CloudFront-Viewer-Address")
			// The test route's secret stays with the balancer.
			pr.Out.Header.Del(TestRouteHeader)
			if ap, err := netip.ParseAddrPort(pr.In.RemoteAddr); err == nil {
				pr.Out.Header.Set("CloudFront-Viewer-Address", ap.Addr().Unmap().String()+":"+strconv.Itoa(int(ap.Port())))
			}
		},
		Transport:    &lbTransport{b: b},
		ErrorHandler: proxyError,
		BufferPool:   &bufferPool{},
	}
	return b
}

// ServeHTTP proxies the request to a healthy target of the group the
// request is routed to (routeRequest).
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := b.routeRequest(r)
	rw := &statusWriter{ResponseWriter: w}
	b.proxy.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
	b.count(rt, rw.code, r.Context().Err() != nil)
}

// ErrClosed is Register's answer once the balancer is closed.
var ErrClosed = errors.New("the load balancer is closed")

// Register adds a target to the serving group in the initial state and
// starts checking its health. After Close it registers nothing and returns
// ErrClosed.
func (b *Balancer) Register(id, addr string) error { return b.RegisterIn(GroupServing, id, addr) }

// RegisterIn is Register into group g.
func (b *Balancer) RegisterIn(g Group, id, addr string) error {
	t := &target{id: id, addr: addr, group: g, health: HealthInitial, healthy: make(chan struct{}), stop: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.targets = append(b.targets, t)
	go b.check(t)
	return nil
}

// Healthy returns a channel closed once the target has turned healthy, or nil
// for an unknown target.
func (b *Balancer) Healthy(id string) <-chan struct{} {
	if t := b.find(id); t != nil {
		return t.healthy
	}
	return nil
}

// Drain deregisters the target: it gets no new requests at once; Drain returns
// when its in-flight requests have finished or delay has passed, whichever is
// first, and then forgets the target.
func (b *Balancer) Drain(ctx context.Context, id string, delay time.Duration) {
	t := b.find(id)
	if t == nil {
		return
	}
	b.setHealth(t, HealthDraining)
	defer b.Remove(id)
	// Then close the idle connections, as an ALB closes its connections to a
	// deregistered target: a connection dialed but never used would hold the
	// target's graceful shutdown (Go's server waits 5 s on those).
	defer b.transport.CloseIdleConnections()
	deadline := time.NewTimer(delay)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for t.inflight.Load() > 0 {
		select {
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Remove forgets the target at once (a target whose process is gone).
func (b *Balancer) Remove(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, t := range b.targets {
		if t.id == id {
			close(t.stop)
			b.targets = append(b.targets[:i:i], b.targets[i+1:]...)
			return
		}
	}
}

// TargetState is a target's health and load, for status displays.
type TargetState struct {
	Health   Health
	InFlight int64
}

// State returns the target's state; ok is false for an unknown target.
func (b *Balancer) State(id string) (TargetState, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, t := range b.targets {
		if t.id == id {
			return TargetState{Health: t.health, InFlight: t.inflight.Load()}, true
		}
	}
	return TargetState{}, false
}

// Close stops the health checks and closes idle connections to targets.
func (b *Balancer) Close() {
	b.mu.Lock()
	for _, t := range b.targets {
		close(t.stop)
	}
	b.targets, b.closed = nil, true
	b.mu.Unlock()
	b.transport.CloseIdleConnections()
}

func (b *Balancer) find(id string) *target {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, t := range b.targets {
		if t.id == id {
			return t
		}
	}
	return nil
}

// pick chooses the next healthy target of group g round-robin, skipping except, and
// counts the request as in flight on it. Doing both under the lock means a
// target that Drain has marked draining can no longer gain requests.
//
// When no target is healthy but some have turned unhealthy, it fails open as
// an ALB does and routes to those: a failing readiness check (a database
// outage, say) then degrades the answers instead of refusing them all. Targets
// still in their initial checks or draining never get requests.
func (b *Balancer) pick(g Group, except *target) *target {
	b.mu.RLock()
	defer b.mu.RUnlock()
	start := int(b.next.Add(1))
	if t := b.next1(g, HealthHealthy, start, except); t != nil {
		return t
	}
	return b.next1(g, HealthUnhealthy, start, except)
}

// next1 returns the first target of group g in health h from start on,
// skipping except, with the request counted in flight; the caller holds mu.
func (b *Balancer) next1(g Group, h Health, start int, except *target) *target {
	n := len(b.targets)
	for i := range n {
		t := b.targets[(start+i)%n]
		if t.group == g && t.health == h && t != except {
			t.inflight.Add(1)
			return t
		}
	}
	return nil
}

func (b *Balancer) setHealth(t *target, h Health) {
	b.mu.Lock()
	old := t.health
	if old == HealthDraining || old == h {
		b.mu.Unlock()
		return
	}
	t.health = h
	b.mu.Unlock()
	if h == HealthHealthy {
		select {
		case <-t.healthy:
		default:
			close(t.healthy)
		}
	}
	if b.onChange != nil {
		b.onChange(t.id, h)
	}
}

// check runs the target's health checks until it is removed.
func (b *Balancer) check(t *target) {
	tick := time.NewTicker(b.hc.Interval)
	defer tick.Stop()
	for {
		pass := b.probe(t)
		b.mu.Lock()
		if pass {
			t.ok, t.fail = t.ok+1, 0
		} else {
			t.ok, t.fail = 0, t.fail+1
		}
		ok, fail, cur := t.ok, t.fail, t.health
		b.mu.Unlock()
		switch {
		case pass && ok >= b.hc.HealthyThreshold && cur != HealthHealthy:
			b.setHealth(t, HealthHealthy)
		case !pass && fail >= b.hc.UnhealthyThreshold && cur == HealthHealthy:
			b.setHealth(t, HealthUnhealthy)
		}
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
	}
}

func (b *Balancer) probe(t *target) bool {
	req, err := http.NewRequest(http.MethodGet, "http://"+t.addr+b.hc.Path, nil)
	if err != nil {
		return false
	}
	resp, err := b.checker.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

var errNoHealthyTargets = errors.New("no target is in service")

// lbTransport sends each request to a target the balancer picks. A request
// that got no response is sent again to another target when that is safe:
// when its connection was refused (nothing reached the target), or when the
// request is replayable (an idempotent method, or a write that carries an
// Idempotency-Key the server deduplicates on), so a target that dies with
// requests in flight costs the clients nothing.
type lbTransport struct{ b *Balancer }

// maxAttempts bounds how many targets one request tries.
const maxAttempts = 3

// maxReplayBody is the largest body kept for a replay: the API's own limit.
const maxReplayBody = 1 << 20

func (lt *lbTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A request stays in the group it was routed to, replays included.
	rt, _ := req.Context().Value(routeKey{}).(*route)
	if rt == nil {
		rt = &route{}
	}
	t := lt.b.pickRoute(rt)
	if t == nil {
		return nil, errNoHealthyTargets
	}
	replay, err := replayable(req)
	if err != nil {
		t.inflight.Add(-1)
		return nil, err
	}
	var body *trackedBody
	if !replay && req.Body != nil && req.Body != http.NoBody {
		// The transport closes the body on errors; keep it open for the retry.
		// The server closes the incoming body when the handler returns.
		body = &trackedBody{r: req.Body}
		req.Body = body
	}
	for attempt := 1; ; attempt++ {
		if replay && req.GetBody != nil {
			req.Body, _ = req.GetBody()
		}
		resp, err := lt.send(req, t)
		if err == nil || attempt == maxAttempts || req.Context().Err() != nil {
			return resp, err
		}
		refused := errors.Is(err, syscall.ECONNREFUSED) && (body == nil || !body.read.Load())
		if !refused && !replay {
			return nil, err
		}
		t2 := lt.b.pick(rt.group, t)
		if t2 == nil {
			return nil, err
		}
		t = t2
	}
}

// replayable reports whether req may be sent again after a failure, and
// buffers its body so that it can be.
func replayable(req *http.Request) (bool, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
	default:
		if req.Header.Get("Idempotency-Key") == "" {
			return false, nil
		}
	}
	if req.Body == nil || req.Body == http.NoBody {
		return true, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxReplayBody+1))
	if err != nil {
		return false, err
	}
	if len(b) > maxReplayBody {
		// Too large to keep: send what was read and the rest once, unreplayed.
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}
		return false, nil
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return true, nil
}

func (lt *lbTransport) send(req *http.Request, t *target) (*http.Response, error) {
	// req is already the proxy's own copy of the incoming request.
	req.URL.Host = t.addr
	resp, err := lt.b.transport.RoundTrip(req)
	if err != nil {
		t.inflight.Add(-1)
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, t: t}
	return resp, nil
}

// proxyError answers as an ALB does: 503 with no target to route to, 504 on a
// timeout, 502 when the target could not be reached or broke the connection.
func proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
		rt.noAnswer = true
	}
	code := http.StatusBadGateway
	var ne net.Error
	switch {
	case errors.Is(err, errNoHealthyTargets):
		code = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		code = 499 // the client went away; nobody reads this answer
	case errors.As(err, &ne) && ne.Timeout():
		code = http.StatusGatewayTimeout
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{"error":{"code":"load_balancer","message":"` + http.StatusText(code) + `"}}` + "\n"))
}

// bufferPool reuses the buffers the proxy copies response bodies through,
// instead of allocating 32 KiB per request. It pools array pointers, which
// convert to and from the proxy's slices without allocating.
type bufferPool struct{ p sync.Pool }

const copyBufferSize = 32 << 10

func (bp *bufferPool) Get() []byte {
	if b, ok := bp.p.Get().(*[copyBufferSize]byte); ok {
		return b[:]
	}
	return new([copyBufferSize]byte)[:]
}

func (bp *bufferPool) Put(b []byte) {
	if len(b) == copyBufferSize {
		bp.p.Put((*[copyBufferSize]byte)(b))
	}
}
