package local

import (
	"context"
	"io"
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
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(300 * time.Millisecond)
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
	lb := NewBalancer(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2}, nil)
	defer lb.Close()

	if rec := get(t, lb, "/api/x"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("with no healthy target: got %d, want 503", rec.Code)
	}
	lb.Register("a", host(a))
	lb.Register("b", host(b))
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
	waitFor(t, "b unhealthy", 2*time.Second, func() bool { s, _ := lb.State("b"); return s.Health == HealthUnhealthy })
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
	lb := NewBalancer(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	lb.Register("c", host(c)) // never passes a check: stays initial
	if rec := get(t, lb, "/api/x"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("with only a target in its initial checks: got %d %q, want 503", rec.Code, rec.Body.String())
	}
	lb.Register("a", host(a))
	lb.Register("b", host(b))
	<-lb.Healthy("a")
	<-lb.Healthy("b")
	aReady.Store(false)
	bReady.Store(false)
	for _, id := range []string{"a", "b"} {
		waitFor(t, id+" unhealthy", 2*time.Second, func() bool { s, _ := lb.State(id); return s.Health == HealthUnhealthy })
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
	waitFor(t, "a healthy again", 2*time.Second, func() bool { s, _ := lb.State("a"); return s.Health == HealthHealthy })
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
	lb := NewBalancer(HealthCheck{Path: "/readyz", Interval: time.Hour, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	lb.Register("a", host(a))
	lb.Register("b", host(b))
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
	a, b := named("a", nil), named("b", nil)
	defer a.Close()
	defer b.Close()
	lb := NewBalancer(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	lb.Register("a", host(a))
	<-lb.Healthy("a")

	slow := make(chan *httptest.ResponseRecorder)
	go func() { slow <- get(t, lb, "/api/x?slow=1") }()
	waitFor(t, "request in flight", time.Second, func() bool { s, _ := lb.State("a"); return s.InFlight == 1 })
	lb.Register("b", host(b))
	<-lb.Healthy("b")

	start := time.Now()
	drained := make(chan struct{})
	go func() { lb.Drain(context.Background(), "a", 5*time.Second); close(drained) }()
	waitFor(t, "a draining", time.Second, func() bool { s, _ := lb.State("a"); return s.Health == HealthDraining })
	for range 10 {
		if rec := get(t, lb, "/api/x"); rec.Body.String() != "b" {
			t.Fatalf("a draining target got a new request")
		}
	}
	if rec := <-slow; rec.Code != http.StatusOK || rec.Body.String() != "a" {
		t.Fatalf("in-flight request on the draining target: got %d %q", rec.Code, rec.Body.String())
	}
	<-drained
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("drain waited %s although nothing was in flight after the slow request", d)
	}
	if _, ok := lb.State("a"); ok {
		t.Fatal("a drained target is still registered")
	}
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
	lb := NewBalancer(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	lb.Register("a", host(echo))
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
