package local_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// SIGKILL one real replica under 200 requests/s: the balancer stops routing to
// it within the unhealthy threshold, a replacement comes up, and the only
// requests that may fail are those the dead process had already received.
func TestKilledReplicaUnderLoadIsReplaced(t *testing.T) {
	opts := localtest.Options(t)
	stack := localtest.Start(t, opts)
	victim := stack.Status().Targets[0]

	run := loadtest.Start(loadtest.Options{Rate: 200, Targets: []loadtest.Target{{Name: "GET /api/version", Method: "GET", URL: stack.Endpoint() + "/api/version"}}})
	defer run.Stop()
	time.Sleep(2 * time.Second)
	killed := time.Now()
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	run.Mark(loadtest.PhaseDuring)

	limit := opts.Health.Interval*time.Duration(opts.Health.UnhealthyThreshold) + opts.Health.Timeout
	var outOfService time.Duration
	for {
		routed := false
		for _, tg := range stack.Status().Targets {
			if tg.ID == victim.ID && tg.Health == string(local.HealthHealthy) {
				routed = true
			}
		}
		if !routed {
			outOfService = time.Since(killed)
			break
		}
		if time.Since(killed) > limit {
			t.Fatalf("the balancer still routes to the killed replica %s after %s (unhealthy threshold: %s)", victim.ID, time.Since(killed), limit)
		}
		time.Sleep(10 * time.Millisecond)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		st := stack.Status()
		healthy := 0
		for _, tg := range st.Targets {
			if tg.Health == string(local.HealthHealthy) {
				healthy++
			}
		}
		if healthy == opts.Replicas {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no healthy replacement 30 s after the kill: %+v", st.Targets)
		}
		time.Sleep(50 * time.Millisecond)
	}
	replaced := time.Since(killed)
	run.Mark(loadtest.PhaseAfter)
	time.Sleep(time.Second)
	rep := run.Stop().Build("local", stack.Endpoint(), nil, []string{"GET /api/version"}, nil)
	t.Logf("SIGKILL of %s under 200 req/s: out of service after %s, replacement healthy after %s; %d of %d requests failed %v",
		victim.ID, outOfService.Round(time.Millisecond), replaced.Round(time.Millisecond), rep.Failed, rep.Requests, rep.Failures)
	// Only requests already inside the dead process may fail: at 200/s with
	// millisecond latencies that is a handful at most, never a second's worth.
	if rep.Failed > 5 {
		t.Fatalf("%d requests failed after the kill (%v): new requests must not fail", rep.Failed, rep.Failures)
	}
}
