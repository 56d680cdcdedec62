package stack_test

import (
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/local/localtest"

	"github.com/empctl/empctl/pkg/local/balancer"
)

// SIGKILL one real replica under 200 requests/s: the balancer replays the
// requests the dead process had received (and those sent before it is
// marked unhealthy) on the others, takes it out of service, and a
// replacement comes up. Not one request fails.
func TestKilledReplicaUnderLoadIsReplaced(t *testing.T) {
	opts := localtest.Options(t)
	stack := localtest.Start(t, opts)
	victim := stack.Status().Targets[0]

	run := loadtest.Start(loadtest.Options{Rate: 200, Targets: []loadtest.Target{{Name: "GET /api/version", Method: "GET", URL: stack.Endpoint() + "/api/version"}}})
	defer run.Stop()
	waitFor(t, "the load to be answered", func() bool { return run.Count() >= 200 })
	killed := time.Now()
	if err := stack.KillTarget(victim.ID); err != nil {
		t.Fatal(err)
	}
	run.Mark(loadtest.PhaseDuring)

	waitFor(t, "the killed replica out of service", func() bool {
		for _, tg := range stack.Status().Targets {
			if tg.ID == victim.ID && tg.Health == string(balancer.HealthHealthy) {
				return false
			}
		}
		return true
	})
	outOfService := time.Since(killed)
	waitFor(t, "a healthy replacement", func() bool {
		healthy := 0
		for _, tg := range stack.Status().Targets {
			if tg.Health == string(balancer.HealthHealthy) {
				healthy++
			}
		}
		return healthy == opts.Replicas
	})
	replaced := time.Since(killed)
	run.Mark(loadtest.PhaseAfter)
	n := run.Count()
	waitFor(t, "load after the replacement", func() bool { return run.Count() >= n+200 })
	rep := run.Stop().Build(loadtest.Info{Env: "local", Endpoint: stack.Endpoint(), Targets: []string{"GET /api/version"}})
	t.Logf("SIGKILL of %s under 200 req/s: out of service after %s, replacement healthy after %s; %d of %d requests failed %v",
		victim.ID, outOfService.Round(time.Millisecond), replaced.Round(time.Millisecond), rep.Failed, rep.Requests, rep.Failures)
	if rep.Failed != 0 {
		t.Fatalf("%d requests failed after the kill (%v): the balancer must replay them on a live replica", rep.Failed, rep.Failures)
	}
}

// waitLimit bounds each waitFor: far beyond what any wait takes on a loaded
// machine (seconds), so that reaching it means a hang, reported as such
// rather than as the package's 20-minute timeout.
const waitLimit = 3 * time.Minute

// waitFor polls cond until it holds, and fails the test naming what it
// waited for once waitLimit has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	t.Logf("waiting for %s", what)
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s, which never came: the stack is stuck (see the events logged above)", waitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
