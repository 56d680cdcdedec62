package gate

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/rollout"
)

// Watch keeps a probe load (GET /api/version) on the public endpoint for d
// and reads traffic every poll. It stops at once with a verdict without
// Promote when a probe request fails or judge finds the new version failing
// more than the old one; the verdict's Stage is production-shift, for the
// caller to relabel as the final bake.
func (g *gate) Watch(ctx context.Context, endpoint string, traffic rollout.Traffic, step int, d time.Duration, progress func(string)) (rollout.Verdict, error) {
	v := rollout.Verdict{Stage: rollout.StageProductionShift, Step: step}
	oldStart, newStart, err := traffic.Counts(ctx)
	if err != nil {
		return v, fmt.Errorf("step %d: reading the versions' traffic at the step's start: %w", step, err)
	}
	fails := newFailures()
	run := loadtest.Start(loadtest.Options{Rate: g.probeRate, OnResult: fails.record, Targets: []loadtest.Target{
		{Name: "GET /api/version", Method: http.MethodGet, URL: strings.TrimSuffix(endpoint, "/") + "/api/version", Weight: 1},
	}})
	defer run.Stop()
	end := time.After(d)
	tick := time.NewTicker(g.poll)
	defer tick.Stop()
	var oldD, newD rollout.Counts
	// finish reads the counts once more and judges them.
	finish := func(final bool) (bool, error) {
		o, n, err := traffic.Counts(ctx)
		if err != nil {
			return false, fmt.Errorf("step %d: reading the versions' traffic: %w", step, err)
		}
		oldD, newD = o.Sub(oldStart), n.Sub(newStart)
		v.Old, v.New = &oldD, &newD
		v.Requests, v.Failed = run.Count(), 0
		probeFailed, first := fails.get()
		v.Failed = probeFailed
		figures := fmt.Sprintf("new version %s; old version %s; probe %d requests, %d failed", rateOf(newD), rateOf(oldD), v.Requests, probeFailed)
		switch why := judge(oldD, newD, g.cfg.MaxErrorRate); {
		case why != "":
			v.Reason = fmt.Sprintf("step %d: %s (%s)", step, why, figures)
			return true, nil
		case probeFailed > 0:
			v.Reason = fmt.Sprintf("step %d: a probe request through the public endpoint failed: %s (%s)", step, first, figures)
			return true, nil
		case final:
			v.Promote = true
			v.Reason = fmt.Sprintf("step %d: %s", step, figures)
			return true, nil
		}
		progress(fmt.Sprintf("Step %d: %s", step, figures))
		return false, nil
	}
	for {
		final := false
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("step %d stopped before it was judged (the new version is not vouched for): %w", step, ctx.Err())
		case <-fails.seen:
			run.Stop()
			final = true
		case <-end:
			run.Stop()
			final = true
		case <-tick.C:
		}
		if done, err := finish(final); done || err != nil {
			if err == nil {
				progress(strings.ToUpper(v.Reason[:1]) + v.Reason[1:])
			}
			return v, err
		}
	}
}

// judge says why the new version's production counts during a step fail
// it, or "" if they do not. Its rate may be at most MaxErrorRate and never
// more than the old version's rate during the same step. A rate is only
// evidence over enough requests: below 1/MaxErrorRate of them (1,000 at
// 0.1 %) a single failure already exceeds the maximum, so there the new
// version is judged on absolute failures instead: any 5xx fails it when the
// old version had none, and otherwise it may fail at most as many requests
// as the old version's rate predicts for its own, rounded up.
func judge(old, new rollout.Counts, maxRate float64) string {
	switch {
	case new.Errors == 0:
		return ""
	case old.Errors == 0:
		return fmt.Sprintf("the new version failed %d of its %d production requests while the old version failed none", new.Errors, new.Requests)
	}
	if maxRate > 0 && float64(new.Requests) >= 1/maxRate {
		if limit := math.Min(maxRate, old.Rate()); new.Rate() > limit {
			return fmt.Sprintf("the new version's error rate %s is above %s (the lower of --max-error-rate and the old version's)", pct(new.Rate()), pct(limit))
		}
		return ""
	}
	if allowed := int64(math.Ceil(old.Rate() * float64(new.Requests))); new.Errors > allowed {
		return fmt.Sprintf("the new version failed %d of its %d production requests, more than the %d the old version's rate (%s) allows", new.Errors, new.Requests, allowed, pct(old.Rate()))
	}
	return ""
}

func rateOf(c rollout.Counts) string {
	return fmt.Sprintf("%d requests, %d failed (%s)", c.Requests, c.Errors, pct(c.Rate()))
}

func pct(r float64) string { return fmt.Sprintf("%.2f %%", 100*r) }

func joinSorted(s []string) string {
	sort.Strings(s)
	return strings.Join(s, ", ")
}
