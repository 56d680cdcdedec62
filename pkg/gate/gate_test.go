package gate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/pkg/rollout"
	"github.com/empctl/empctl/pkg/trafficmix/apitest"
	"github.com/empctl/empctl/server"
)

// version serves the real API as version v, with deps' settings.
func version(t *testing.T, v string, deps server.Deps) http.Handler {
	deps.Build = buildinfo.Info{Version: v}
	return apitest.Handler(t, deps)
}

func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// cfg sends 150 test requests at least (a few seconds at the test rate).
var cfg = rollout.GateConfig{TestRequests: 150, MaxErrorRate: 0.001}

func newGate() rollout.Gate {
	return New(cfg, WithTestRate(100), WithProbeRate(50), WithPoll(100*time.Millisecond))
}

func logProgress(t *testing.T) func(string) { return func(m string) { t.Log(m) } }

// assertLocked checks that no user the gate created signs in with the
// password it was created with, and that there were want of them at least.
func assertLocked(t *testing.T, endpoint string, s *signUps, want int) {
	t.Helper()
	users := s.all()
	if len(users) < want {
		t.Fatalf("%d users signed up, want at least %d", len(users), want)
	}
	for email, pw := range users {
		if code := apitest.Login(t, endpoint, email, pw); code != http.StatusUnauthorized {
			t.Errorf("%s still signs in with the gate's password (HTTP %d): not locked", email, code)
		}
	}
}

// A good version passes the test traffic with every write verified, and a
// production step where it fails nothing.
func TestAGoodVersionIsPromoted(t *testing.T) {
	newH, users := recordSignUps(version(t, "v2", server.Deps{}))
	newURL := serve(t, newH)
	p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), newURL)
	g := newGate()

	v, err := g.Test(t.Context(), p.route(), logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Promote || v.Requests < cfg.TestRequests || v.Failed != 0 || v.Writes == 0 || v.Lost != 0 {
		t.Fatalf("test verdict %+v, want a promotion after %d requests with writes verified", v, cfg.TestRequests)
	}
	if old, new, _ := p.Counts(t.Context()); old.Requests+new.Requests != 0 {
		t.Fatalf("the test traffic reached production: old %+v, new %+v", old, new)
	}
	// 1 test user and 2 sign-ups: the gate's whole cost of the throttle.
	if n := len(users.all()); n != 3 {
		t.Fatalf("the gate signed up %d users, want 3", n)
	}
	assertLocked(t, newURL, users, 3)

	p.weight.Store(50)
	v, err = g.Watch(t.Context(), p.URL, p, 1, 2*time.Second, logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Promote || v.New == nil || v.New.Requests == 0 || v.Step != 1 {
		t.Fatalf("watch verdict %+v, want a promotion with the new version's requests", v)
	}
}

// A version that passes its health checks but fails real requests (here its
// sign-ups: the throttle configured to one an hour) never passes the test
// traffic, and its users are locked.
func TestAVersionThatFailsSignUpsFailsTheTest(t *testing.T) {
	newH, users := recordSignUps(version(t, "v2", server.Deps{SignUpsPerHour: 1}))
	newURL := serve(t, newH)
	p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), newURL)

	v, err := newGate().Test(t.Context(), p.route(), logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Promote || v.Failed == 0 || !strings.Contains(v.Reason, "POST /api/users") || !strings.Contains(v.Reason, "429") {
		t.Fatalf("verdict %+v, want no promotion naming the failed sign-up", v)
	}
	assertLocked(t, newURL, users, 1)
}

// A version that fails production traffic only is stopped at the first
// reading that shows it, long before the step's end, its failures bounded to
// its share of the production requests.
func TestAVersionFailingProductionTrafficFailsTheWatch(t *testing.T) {
	good := version(t, "v2", server.Deps{})
	newURL := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(testHeader) == "" {
			http.Error(w, "broken for production", http.StatusServiceUnavailable)
			return
		}
		good.ServeHTTP(w, r)
	}))
	p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), newURL)
	p.weight.Store(10)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()

	v, err := newGate().Watch(ctx, p.URL, p, 1, 10*time.Minute, logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Promote || v.New == nil || v.New.Errors == 0 {
		t.Fatalf("verdict %+v, want no promotion with the new version's errors", v)
	}
	old, new, _ := p.Counts(t.Context())
	if total := old.Requests + new.Requests; new.Errors > total/10+1 {
		t.Fatalf("the new version failed %d of %d production requests: more than its 10 %% share", new.Errors, total)
	}
	for _, want := range []string{"step 1", "failed", "old version"} {
		if !strings.Contains(v.Reason, want) {
			t.Errorf("the reason lacks %q: %s", want, v.Reason)
		}
	}
}

// Ctrl-C during the test traffic returns an error (nothing vouched for the
// version) and leaves no test user unlocked.
func TestCtrlCDuringTheTestLocksItsUsers(t *testing.T) {
	newH, users := recordSignUps(version(t, "v2", server.Deps{}))
	newURL := serve(t, newH)
	p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), newURL)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-users.first // the load is on
		cancel()
	}()
	v, err := New(rollout.GateConfig{TestDuration: 10 * time.Minute, TestRequests: 300}, WithTestRate(50)).Test(ctx, p.route(), logProgress(t))
	if !errors.Is(err, context.Canceled) || v.Promote {
		t.Fatalf("Ctrl-C: verdict %+v, error %v; want context.Canceled and no promotion", v, err)
	}
	assertLocked(t, newURL, users, 1)
}

// Ctrl-C during a production step returns an error at once: the step was
// not judged, and an error rolls the deployment back.
func TestCtrlCDuringAStepIsAnError(t *testing.T) {
	p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), serve(t, version(t, "v2", server.Deps{})))
	p.weight.Store(10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	progress := func(m string) {
		t.Log(m)
		cancel() // at the first reading
	}
	v, err := newGate().Watch(ctx, p.URL, p, 1, 10*time.Minute, progress)
	if !errors.Is(err, context.Canceled) || v.Promote {
		t.Fatalf("Ctrl-C: verdict %+v, error %v; want context.Canceled and no promotion", v, err)
	}
}
