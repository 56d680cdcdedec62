package balancer

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func named(name string, ready *atomic.Bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			if ready != nil && !ready.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Body", string(b))
		}
		_, _ = io.WriteString(w, name)
	}))
}

func host(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestBalancerRoutesOnlyToHealthyTargets(t *testing.T) {
	var bReady atomic.Bool
	a, b := named("a", nil), named("b", &bReady)
	defer a.Close()
	defer b.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2}, nil)
	defer lb.Close()

	if rec := get(t, lb, "/api/x"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("with no healthy target: got %d, want 503", rec.Code)
	}
	mustRegister(t, lb, "a", host(a))
	mustRegister(t, lb, "b", host(b))
	<-lb.Healthy("a")
	for range 20 {
		if rec := get(t, lb, "/api/x"); rec.Body.String() != "a" {
			t.Fatalf("b is not ready but got a response from %q", rec.Body.String())
		}
	}
	bReady.Store(true)
	<-lb.Healthy("b")
	seen := map[string]int{}
	for range 20 {
		seen[get(t, lb, "/api/x").Body.String()]++
	}
	if seen["a"] != 10 || seen["b"] != 10 {
		t.Fatalf("round robin over two healthy targets gave %v", seen)
	}
	bReady.Store(false)
	waitFor(t, "b unhealthy", time.Minute, func() bool { s, _ := lb.State("b"); return s.Health == HealthUnhealthy })
	for range 10 {
		if rec := get(t, lb, "/api/x"); rec.Body.String() != "a" {
			t.Fatalf("b is unhealthy but served a request")
		}
	}
}

func TestBalancerFailsOpenWhenEveryTargetIsUnhealthy(t *testing.T) {
	var aReady, bReady, cReady atomic.Bool
	aReady.Store(true)
	bReady.Store(true)
	a, b, c := named("a", &aReady), named("b", &bReady), named("c", &cReady)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "c", host(c)) // never passes a check: stays initial
	if rec := get(t, lb, "/api/x"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("with only a target in its initial checks: got %d %q, want 503", rec.Code, rec.Body.String())
	}
	mustRegister(t, lb, "a", host(a))
	mustRegister(t, lb, "b", host(b))
	<-lb.Healthy("a")
	<-lb.Healthy("b")
	aReady.Store(false)
	bReady.Store(false)
	for _, id := range []string{"a", "b"} {
		waitFor(t, id+" unhealthy", time.Minute, func() bool { s, _ := lb.State(id); return s.Health == HealthUnhealthy })
	}
	seen := map[string]int{}
	for range 20 {
		rec := get(t, lb, "/api/x")
		if rec.Code != http.StatusOK {
			t.Fatalf("every target unhealthy: got %d %q, want the request routed to them (fail open)", rec.Code, rec.Body.String())
		}
		seen[rec.Body.String()]++
	}
	if seen["a"] == 0 || seen["b"] == 0 || seen["c"] != 0 {
		t.Fatalf("failing open should spread requests over the unhealthy targets a and b only, got %v", seen)
	}
	aReady.Store(true)
	waitFor(t, "a healthy again", time.Minute, func() bool { s, _ := lb.State("a"); return s.Health == HealthHealthy })
	for range 10 {
		if rec := get(t, lb, "/api/x"); rec.Body.String() != "a" {
			t.Fatalf("a is healthy again, yet unhealthy %q got a request", rec.Body.String())
		}
	}
}

func TestBalancerRetriesRefusedConnectionOnAnotherTarget(t *testing.T) {
	a, b := named("a", nil), named("b", nil)
	defer a.Close()
	// Checks are far apart so that b stays "healthy" after it dies, as a replica
	// that died between two health checks.
	lb := New(HealthCheck{Path: "/readyz", Interval: time.Hour, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "a", host(a))
	mustRegister(t, lb, "b", host(b))
	<-lb.Healthy("a")
	<-lb.Healthy("b")
	b.Close()
	for i := range 20 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/users", strings.NewReader(`{"n":1}`))
		lb.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.String() != "a" || rec.Header().Get("X-Body") != `{"n":1}` {
			t.Fatalf("request %d: got %d %q (body seen %q), want 200 from a with the body", i, rec.Code, rec.Body.String(), rec.Header().Get("X-Body"))
		}
	}
}

func TestBalancerDrainLetsInFlightRequestsFinish(t *testing.T) {
	release := make(chan struct{})
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("slow") != "" {
			<-release
		}
		_, _ = io.WriteString(w, "a")
	}))
	b := named("b", nil)
	defer a.Close()
	defer b.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "a", host(a))
	<-lb.Healthy("a")

	slow := make(chan *httptest.ResponseRecorder)
	go func() { slow <- get(t, lb, "/api/x?slow=1") }()
	waitFor(t, "request in flight", time.Minute, func() bool { s, _ := lb.State("a"); return s.InFlight == 1 })
	mustRegister(t, lb, "b", host(b))
	<-lb.Healthy("b")

	drained := make(chan struct{})
	// A delay far longer than the test: Drain must return because the
	// in-flight request finished, not because the delay passed.
	go func() { lb.Drain(context.Background(), "a", time.Hour); close(drained) }()
	waitFor(t, "a draining", time.Minute, func() bool { s, _ := lb.State("a"); return s.Health == HealthDraining })
	for range 10 {
		if rec := get(t, lb, "/api/x"); rec.Body.String() != "b" {
			t.Fatalf("a draining target got a new request")
		}
	}
	select {
	case <-drained:
		t.Fatal("Drain returned while a request was still in flight")
	default:
	}
	close(release)
	if rec := <-slow; rec.Code != http.StatusOK || rec.Body.String() != "a" {
		t.Fatalf("in-flight request on the draining target: got %d %q", rec.Code, rec.Body.String())
	}
	<-drained
	if _, ok := lb.State("a"); ok {
		t.Fatal("a drained target is still registered")
	}
}

// A target that dies with requests in flight: the balancer sends a
// replayable request (an idempotent method, or a write with an
// Idempotency-Key) to another target, and answers 502 for any other.
func TestBalancerReplaysRequestsCutOffByADyingTarget(t *testing.T) {
	// dying accepts each request, then breaks the connection without an
	// answer, as a process killed mid-request does.
	dying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		_, _ = io.ReadAll(r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer dying.Close()
	a := named("a", nil)
	defer a.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: time.Hour, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "dying", host(dying))
	mustRegister(t, lb, "a", host(a))
	<-lb.Healthy("dying")
	<-lb.Healthy("a")

	send := func(method, key string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, "/api/me", strings.NewReader(`{"lastName":"x"}`))
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		lb.ServeHTTP(rec, req)
		return rec
	}
	for i := range 10 { // round robin: half of them go to the dying target first
		for _, method := range []string{http.MethodGet, http.MethodPut} {
			if rec := send(method, ""); rec.Code != http.StatusOK || rec.Body.String() != "a" {
				t.Fatalf("%s %d: got %d %q, want it replayed on a", method, i, rec.Code, rec.Body.String())
			}
		}
		if rec := send(http.MethodPatch, "key-"+string(rune('a'+i))); rec.Code != http.StatusOK || rec.Header().Get("X-Body") != `{"lastName":"x"}` {
			t.Fatalf("PATCH with an Idempotency-Key %d: got %d %q, want it replayed on a with its body", i, rec.Code, rec.Header().Get("X-Body"))
		}
	}
	failed := 0
	for range 10 {
		if rec := send(http.MethodPost, ""); rec.Code == http.StatusBadGateway {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("a POST without an Idempotency-Key was replayed: the server may have applied it")
	}
}

func TestBalancerRegisterAfterCloseStartsNothing(t *testing.T) {
	a := named("a", nil)
	defer a.Close()
	lb := New(DefaultHealthCheck(), nil)
	lb.Close()
	if err := lb.Register("a", host(a)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Register after Close: %v, want ErrClosed", err)
	}
	if _, ok := lb.State("a"); ok {
		t.Fatal("a target registered after Close is known to the balancer")
	}
}

func mustRegister(t *testing.T, lb *Balancer, id, addr string) {
	t.Helper()
	if err := lb.Register(id, addr); err != nil {
		t.Fatal(err)
	}
}

// Draining closes the balancer's idle connections to the target, so that its
// graceful shutdown need not wait for them.
func TestBalancerDrainClosesIdleConnections(t *testing.T) {
	var open atomic.Int64
	a := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "a") }))
	a.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	a.Start()
	defer a.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "a", host(a))
	<-lb.Healthy("a")
	if rec := get(t, lb, "/api/x"); rec.Code != http.StatusOK {
		t.Fatalf("got %d", rec.Code)
	}
	lb.Drain(context.Background(), "a", time.Hour)
	// The health checks' connections close at once; the proxied request's
	// keep-alive connection must close too.
	waitFor(t, "the idle connection to close", time.Minute, func() bool { return open.Load() == 0 })
}

// TestBalancerForwardsClientAddressLikeALBAndCloudFront: X-Forwarded-For
// gains the client's address on the right, as an ALB appends it, and
// CloudFront-Viewer-Address is the balancer's own, whatever the client sent.
func TestBalancerForwardsClientAddressLikeALBAndCloudFront(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Saw-XFF", strings.Join(r.Header.Values("X-Forwarded-For"), "|"))
		w.Header().Set("X-Saw-Viewer", strings.Join(r.Header.Values("CloudFront-Viewer-Address"), "|"))
	}))
	defer echo.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	if err := lb.Register("a", host(echo)); err != nil {
		t.Fatal(err)
	}
	<-lb.Healthy("a")
	front := httptest.NewServer(lb)
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL+"/api/x", nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("CloudFront-Viewer-Address", "6.6.6.6:1234")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if got := res.Header.Get("X-Saw-XFF"); got != "6.6.6.6, 127.0.0.1" {
		t.Fatalf("X-Forwarded-For at the target = %q, want the client's entry then 127.0.0.1", got)
	}
	if got := res.Header.Get("X-Saw-Viewer"); !strings.HasPrefix(got, "127.0.0.1:") || strings.Contains(got, "|") {
		t.Fatalf("CloudFront-Viewer-Address at the target = %q, want only the balancer's 127.0.0.1:port", got)
	}
}
