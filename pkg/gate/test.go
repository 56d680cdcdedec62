package gate

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/rollout"
	"github.com/empctl/empctl/pkg/trafficmix"
)

// testMix is the test load's mix: one user who reads and updates its
// profile, and 2 sign-ups during the load, so that a gate costs 3 sign-ups
// (of the operator allowance, or without the key of the address's 20 an
// hour) however long it runs.
var testMix = trafficmix.Options{Prefix: "gate", Writers: 1, SharedReader: true, SignUps: 2}

// Test sends the mix through route only for TestDuration or TestRequests,
// whichever comes last (stopping at the first failed request), audits every
// acknowledged write through the same route, and locks the users it created
// whatever happens.
func (g *gate) Test(ctx context.Context, route rollout.TestRoute, progress func(string)) (rollout.Verdict, error) {
	v := rollout.Verdict{Stage: rollout.StageTestTraffic}
	o := testMix
	o.Header = http.Header{}
	maps.Copy(o.Header, g.header)
	maps.Copy(o.Header, route.Header)
	progress(fmt.Sprintf("Test traffic: preparing the gate's test user through the test route (%s)...", route.BaseURL))
	mix, err := trafficmix.Prepare(ctx, route.BaseURL, o)
	if err != nil {
		if ctx.Err() != nil {
			return v, fmt.Errorf("test traffic: %w", ctx.Err())
		}
		// The test route reaches only the new version: it failed.
		v.Reason = fmt.Sprintf("the new version failed the test user's sign-up or sign-in through the test route: %v", err)
		return v, nil
	}
	locked := false
	lock := func() {
		if locked {
			return
		}
		locked = true
		if l, n := mix.Lock(ctx); l < n {
			progress(fmt.Sprintf("Warning: %d of the gate's %d test users could not be locked: find them by the marker %s in their e-mail and remove them", n-l, n, mix.Marker()))
		}
	}
	defer lock()

	mix.Schedule([]string{"test"}, nil)
	mix.Enter("test")
	fails := newFailures()
	run := loadtest.Start(loadtest.Options{Rate: g.testRate, Targets: mix.Targets, OnResult: func(r loadtest.Result) {
		mix.Record(r)
		fails.record(r)
	}})
	defer run.Stop()
	started := time.Now()
	tick := time.NewTicker(g.poll)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			run.Stop()
			return v, fmt.Errorf("test traffic stopped before it was judged (the new version is not vouched for): %w", ctx.Err())
		case <-fails.seen:
			done = true
		case <-tick.C:
			n, _ := fails.get()
			progress(fmt.Sprintf("Test traffic: %d requests, %d failed", run.Count(), n))
			done = time.Since(started) >= g.cfg.TestDuration && run.Count() >= g.cfg.TestRequests
		}
	}
	rep := run.Stop().Build(loadtest.Info{})
	v.Requests, v.Failed = rep.Requests, rep.Failed

	progress(fmt.Sprintf("Test traffic: auditing the writes of %d requests (%d failed)...", rep.Requests, rep.Failed))
	audit := mix.Audit(ctx)
	if ctx.Err() != nil {
		return v, fmt.Errorf("auditing the test traffic's writes: %w", ctx.Err())
	}
	lock()
	v.Writes, v.Lost = audit.Acknowledged, audit.Lost
	_, first := fails.get()
	switch {
	case rep.Failed > 0:
		v.Reason = fmt.Sprintf("%d of %d test requests failed (%s); first: %s", rep.Failed, rep.Requests, kinds(rep.Failures), first)
	case audit.Error != "":
		v.Reason = "the audit of the test traffic's writes could not finish: " + audit.Error
	case audit.Lost > 0 || audit.Duplicated > 0:
		v.Reason = fmt.Sprintf("%d of %d acknowledged writes lost and %d duplicated: %s", audit.Lost, audit.Acknowledged, audit.Duplicated, audit.Problems)
	default:
		v.Promote = true
		v.Reason = fmt.Sprintf("%d test requests, 0 failed; %d acknowledged writes, all verified", rep.Requests, audit.Verified)
	}
	progress("Test traffic: " + v.Reason)
	return v, nil
}

// kinds lists a report's failures by kind: "HTTP 429: 3, timeout: 1".
func kinds(m map[string]int) string {
	var out []string
	for k, n := range m {
		out = append(out, fmt.Sprintf("%s: %d", k, n))
	}
	return joinSorted(out)
}
