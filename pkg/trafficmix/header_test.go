package trafficmix

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/trafficmix/apitest"
	"github.com/empctl/empctl/server"
)

// A mix with a header (a test route's) sends it on every request: the
// preparation's, the load's, the audit's and the lock's. With a shared
// reader it costs one user plus its sign-ups.
func TestEveryRequestCarriesTheHeader(t *testing.T) {
	api := apitest.Handler(t, server.Deps{})
	var with, without atomic.Int64
	var mu sync.Mutex
	var keys []string // the sign-ups' idempotency keys
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/users" {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			mu.Unlock()
		}
		if r.Header.Get("X-Test-Route") != "yes" {
			without.Add(1)
			http.Error(w, "no test header", http.StatusMisdirectedRequest)
			return
		}
		with.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	ctx := context.Background()
	o := Options{Prefix: "gate", Writers: 1, SharedReader: true, SignUps: 2, Header: http.Header{"X-Test-Route": {"yes"}}}
	m, err := Prepare(ctx, srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	m.Schedule([]string{"test"}, nil)
	m.Enter("test")
	run := loadtest.Start(loadtest.Options{Rate: 100, Targets: m.Targets, OnResult: m.Record})
	for deadline := time.Now().Add(2 * time.Minute); ; {
		sent := m.SignUpsByPhase()[0].Count
		if sent == 2 && run.Count() >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes: %d sign-ups, %d requests", sent, run.Count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	rep := run.Stop().Build(loadtest.Info{})
	if rep.Failed != 0 {
		t.Fatalf("%d requests failed: %v", rep.Failed, rep.Failures)
	}
	audit := m.Audit(ctx)
	if audit.Lost != 0 || audit.Acknowledged == 0 || audit.Verified != audit.Acknowledged || audit.Error != "" {
		t.Fatalf("audit %+v", audit)
	}
	if locked, accounts := m.Lock(ctx); locked != 3 || accounts != 3 {
		t.Fatalf("locked %d of %d accounts, want 3 of 3 (one shared reader and writer, 2 sign-ups)", locked, accounts)
	}
	// The keys are random: nothing in them names the user.
	mu.Lock()
	defer mu.Unlock()
	for _, k := range keys {
		if len(k) != 32 || strings.Contains(k, m.Marker()) {
			t.Errorf("sign-up idempotency key %q: want 32 random hex characters", k)
		}
	}
	if n := without.Load(); n != 0 {
		t.Fatalf("%d requests without the header (%d with)", n, with.Load())
	}
}
