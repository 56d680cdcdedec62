package balancer

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func status(name string, code int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			w.Header().Set("X-Test-Header", r.Header.Get(TestRouteHeader))
			w.WriteHeader(code)
		}
		_, _ = w.Write([]byte(name))
	}))
}

func withHeader(h http.Handler, k, v string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
	if k != "" {
		req.Header.Set(k, v)
	}
	h.ServeHTTP(rec, req)
	return rec
}

// Two groups: production requests split by weight (exactly, 10 % is 10 of
// 100), never to the new group at weight 0; the test route reaches only the
// new group, without its secret reaching the target; each group's answers
// are counted apart; Promote makes the new group the serving one.
func TestBalancerSplitsProductionByWeightAndRoutesTestsToTheNewGroup(t *testing.T) {
	old, nu := status("old", http.StatusOK), status("new", http.StatusInternalServerError)
	defer old.Close()
	defer nu.Close()
	lb := New(HealthCheck{Path: "/readyz", Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "old", host(old))
	if err := lb.RegisterIn(GroupNew, "new", host(nu)); err != nil {
		t.Fatal(err)
	}
	<-lb.Healthy("old")
	<-lb.Healthy("new")

	seen := func(n int, k, v string) map[string]int {
		m := map[string]int{}
		for range n {
			rec := withHeader(lb, k, v)
			m[rec.Body.String()]++
			if got := rec.Header().Get("X-Test-Header"); got != "" {
				t.Fatalf("the test route's secret reached the target: %q", got)
			}
		}
		return m
	}
	if m := seen(50, "", ""); m["new"] != 0 {
		t.Fatalf("at weight 0 the new group answered %d production requests", m["new"])
	}
	if m := seen(20, TestRouteHeader, lb.TestKey()); m["old"] != 0 || m["new"] != 20 {
		t.Fatalf("test route went to %v, want the new group only", m)
	}
	if m := seen(20, TestRouteHeader, "guess"); m["new"] != 0 {
		t.Fatalf("a wrong test key reached the new group: %v", m)
	}
	lb.SetWeight(10)
	if m := seen(100, "", ""); m["new"] != 10 || m["old"] != 90 {
		t.Fatalf("a 10 %% weight split 100 requests as %v", m)
	}
	tr := lb.Traffic()
	if tr.Serving != (Counts{Requests: 160}) || tr.New != (Counts{Requests: 10, Target5xx: 10}) || tr.Test != (Counts{Requests: 20, Target5xx: 20}) {
		t.Fatalf("counters %+v", tr)
	}
	if r := tr.New.Rollout(); r.Rate() != 1 {
		t.Fatalf("the new group's error rate is %g, want 1", r.Rate())
	}

	lb.Promote()
	if lb.Weight() != 0 || lb.Traffic() != (Traffic{}) {
		t.Fatalf("promote kept weight %g and counters %+v", lb.Weight(), lb.Traffic())
	}
	if m := seen(20, "", ""); m["new"] != 20 {
		t.Fatalf("after promote production went to %v, want the promoted group only", m)
	}
}

// A group without a target in service sends production requests to the
// other group (counted there), except to the new one at weight 0; a
// target that cannot be reached counts as a request without an answer.
func TestBalancerCountsUnansweredRequestsPerGroup(t *testing.T) {
	old := status("old", http.StatusOK)
	defer old.Close()
	dead := status("dead", http.StatusOK)
	lb := New(HealthCheck{Path: "/readyz", Interval: time.Hour, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}, nil)
	defer lb.Close()
	mustRegister(t, lb, "old", host(old))
	if err := lb.RegisterIn(GroupNew, "dead", host(dead)); err != nil {
		t.Fatal(err)
	}
	<-lb.Healthy("old")
	<-lb.Healthy("dead")
	dead.Close() // between two health checks: still "healthy"
	rec := httptest.NewRecorder()
	lb.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/x", nil)) // not replayable
	if m := withHeader(lb, TestRouteHeader, lb.TestKey()); m.Code != http.StatusBadGateway {
		t.Fatalf("test route to a dead target: %d", m.Code)
	}
	if tr := lb.Traffic(); tr.Test != (Counts{Requests: 1, NoAnswer: 1}) {
		t.Fatalf("test counters %+v, want one request without an answer", tr.Test)
	}
	lb.Remove("dead")
	lb.SetWeight(100)
	if rec := withHeader(lb, "", ""); rec.Body.String() != "old" {
		t.Fatalf("with no new target in service production got %d %q, want the old group", rec.Code, rec.Body.String())
	}
	if tr := lb.Traffic(); tr.Serving.Requests != 2 || tr.New.Requests != 0 {
		t.Fatalf("fallback counted as %+v", tr)
	}
}
