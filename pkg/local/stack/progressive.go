package stack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/rollout"
)

// A progressive rollout (blue/green, canary, linear) runs as ECS runs one
// with a load balancer's two target groups:
//
//  1. scale-up: a full set of new replicas starts beside the old, in the
//     balancer's second group, and must pass its health checks (the
//     circuit breaker as in a rolling deploy);
//  2. test traffic: the gate sends its load through the test route, which
//     reaches only the new replicas;
//  3. production shifts: for each of the strategy's steps, the new group's
//     weight is set and the gate watches both groups for the step's bake;
//     the last step (100 %) is followed by the final bake;
//  4. the new group becomes the serving one and the old replicas drain.
//
// Any verdict that does not promote, a gate error, a cancelled context
// (Ctrl-C: no one vouched for it) or `empctl rollback` returns all
// production traffic to the old replicas at once and stops the new ones.

// progressiveRun is the progressive rollout in flight: its position (for
// status and events), how to end it early, and its result once it ended.
type progressiveRun struct {
	state  rollout.State // guarded by Stack.mu
	abort  context.CancelCauseFunc
	done   chan struct{}
	result env.Rollout // set before done is closed
}

// errRolledBack is the cause of a progressive rollout that `empctl
// rollback` ended.
var errRolledBack = errors.New("`empctl rollback` returned all traffic to the old version")

// lbTraffic reads the balancer's per-group counters for the gate.
type lbTraffic struct{ lb *balancer.Balancer }

func (t lbTraffic) Counts(context.Context) (old, new rollout.Counts, err error) {
	tr := t.lb.Traffic()
	return tr.Serving.Rollout(), tr.New.Rollout(), nil
}

// progressive replaces cur's replicas with rel's as the strategy in cfg
// shifts production traffic, each stage promoted by gate; the caller holds
// deployMu.
func (s *Stack) progressive(ctx context.Context, cur, rel *Release, cfg rollout.Config, gate rollout.Gate, progress func(env.Event)) (ro env.Rollout, err error) {
	steps := cfg.Steps()
	actx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	go func() { // a shutdown ends the rollout: `empctl down` does not wait for a bake
		select {
		case <-s.closingCh:
			abort(ErrClosing)
		case <-actx.Done():
		}
	}()
	run := &progressiveRun{state: rollout.State{Strategy: cfg.Strategy, Stage: rollout.StageScaleUp, Steps: len(steps)}, abort: abort, done: make(chan struct{})}
	s.lb.ResetSplit()
	s.mu.Lock()
	s.deploying, s.progress, s.rolling, s.prog = true, progress, rel, run
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.deploying, s.progress, s.rolling, s.prog = false, nil, nil, nil
		s.mu.Unlock()
		run.result = ro
		close(run.done)
	}()

	ro = env.Rollout{Version: rel.Version, PreviousVersion: cur.Version, Started: time.Now(), Strategy: cfg.Strategy}
	s.stage(run, rel, "rollout", func(*rollout.State) {}, fmt.Sprintf("%s rollout of %s to replace %s: starting %d new replicas beside the old as a second target group", cfg.Strategy, rel.Version, cur.Version, s.opts.Replicas))
	news, err := s.startSet(balancer.GroupNew, rel)
	if err == nil {
		err = s.waitHealthy(actx, news)
	}
	if err != nil {
		if actx.Err() != nil {
			err = s.cause(actx, rollout.StageScaleUp)
		}
		return s.circuitBreak(ro, cur, news, err)
	}

	s.stage(run, rel, "stage", func(st *rollout.State) { st.Stage = rollout.StageTestTraffic }, fmt.Sprintf("test traffic: the gate sends its load through the test route, which reaches only %s", rel.Version))
	route := rollout.TestRoute{BaseURL: s.endpoint, Header: http.Header{balancer.TestRouteHeader: {s.lb.TestKey()}}}
	v, err := gate.Test(actx, route, s.gateProgress(run, rel))
	var ok bool
	if ro, err, ok = s.decide(actx, run, ro, cur, rel, news, rollout.StageTestTraffic, v, err); !ok {
		return ro, err
	}

	for i, step := range steps {
		stage := rollout.StageProductionShift
		if i == len(steps)-1 {
			stage = rollout.StageBake
		}
		s.lb.SetWeight(step.Weight)
		s.stage(run, rel, "shift", func(st *rollout.State) {
			st.Stage, st.Step, st.Weight, st.BakeEnds = stage, i+1, step.Weight, time.Now().Add(step.Bake)
		}, fmt.Sprintf("production shift %d of %d: %g%% of production traffic on %s; baking %s", i+1, len(steps), step.Weight, rel.Version, step.Bake))
		v, err := gate.Watch(actx, s.endpoint, lbTraffic{s.lb}, i+1, step.Bake, s.gateProgress(run, rel))
		if ro, err, ok = s.decide(actx, run, ro, cur, rel, news, stage, v, err); !ok {
			return ro, err
		}
	}

	s.lb.Promote()
	s.mu.Lock()
	s.previous, s.current = cur, rel
	var olds []*replica
	for _, r := range s.replicas {
		if _, stopping := r.getState(); r.rel != rel && !stopping {
			olds = append(olds, r)
		}
	}
	s.mu.Unlock()
	s.stage(run, rel, "switched", func(st *rollout.State) { st.Stage, st.BakeEnds = rollout.StageDone, time.Time{} }, fmt.Sprintf("%s promoted: it serves all production traffic; draining %d replicas of %s", rel.Version, len(olds), cur.Version))
	var wg sync.WaitGroup
	for _, r := range olds {
		wg.Go(func() { s.drainAndStop(r) })
	}
	wg.Wait()
	ro.Outcome, ro.Finished = env.OutcomeCompleted, time.Now()
	s.emit("completed", "", rel.Version, fmt.Sprintf("%s rollout of %s completed in %s", cfg.Strategy, rel.Version, ro.Duration().Round(100*time.Millisecond)))
	return ro, nil
}

// decide records the gate's verdict at stage and, unless it promotes (and
// the rollout was neither cancelled nor rolled back meanwhile), rolls back:
// ok is false and ro and err are the rollout's result.
func (s *Stack) decide(ctx context.Context, run *progressiveRun, ro env.Rollout, cur, rel *Release, news []*replica, stage rollout.Stage, v rollout.Verdict, gerr error) (env.Rollout, error, bool) {
	if v.Stage != "" || v.Reason != "" {
		v.Stage = stage // the gate cannot tell a step's bake from the final one
		if v.New == nil {
			// The production counts the decision stood on (none reach the
			// new version before the first shift).
			st := s.snapshot(run)
			v.Old, v.New = st.Old, st.New
		}
		ro.Verdicts = append(ro.Verdicts, v)
		verdict := "promote"
		if !v.Promote {
			verdict = "roll back"
		}
		s.send(env.Event{Time: time.Now(), Kind: "verdict", Version: rel.Version, Message: fmt.Sprintf("gate at %s: %s (%s)", stage, verdict, v.Reason), Rollout: s.snapshot(run), Verdict: &v})
	}
	var err error
	switch {
	case ctx.Err() != nil:
		err = s.cause(ctx, stage)
	case gerr != nil:
		err = fmt.Errorf("%w: rolled back at %s: the gate failed: %v", env.ErrRolloutFailed, stage, gerr)
	case !v.Promote:
		err = fmt.Errorf("%w: rolled back at %s: %s", env.ErrRolloutFailed, stage, v.Reason)
	default:
		return ro, nil, true
	}
	s.lb.SetWeight(0)
	s.stage(run, rel, "rollback", func(*rollout.State) {}, fmt.Sprintf("%s; all production traffic back on %s, stopping the new replicas", err, cur.Version))
	var wg sync.WaitGroup
	for _, r := range news {
		wg.Go(func() { s.drainAndStop(r) })
	}
	wg.Wait()
	s.lb.ResetSplit()
	ro.Outcome, ro.Reason, ro.Finished = env.OutcomeFailed, err.Error(), time.Now()
	return ro, err, false
}

// cause says why ctx ended at stage: `empctl rollback` (a verdict, exit 3),
// the stack shutting down, or a cancelled deploy (Ctrl-C, exit 130), which
// nobody vouched for.
func (s *Stack) cause(ctx context.Context, stage rollout.Stage) error {
	switch c := context.Cause(ctx); {
	case errors.Is(c, errRolledBack):
		return fmt.Errorf("%w: rolled back at %s: %v", env.ErrRolloutFailed, stage, c)
	case errors.Is(c, ErrClosing):
		return fmt.Errorf("rolled back at %s: %w", stage, c)
	}
	return fmt.Errorf("rolled back: no one vouched for it (cancelled at %s): %w", stage, context.Canceled)
}

// stage updates the rollout's state with set and reports it.
func (s *Stack) stage(run *progressiveRun, rel *Release, kind string, set func(*rollout.State), msg string) {
	s.mu.Lock()
	set(&run.state)
	s.mu.Unlock()
	s.send(env.Event{Time: time.Now(), Kind: kind, Version: rel.Version, Message: msg, Rollout: s.snapshot(run)})
}

// gateProgress reports the gate's figures as one line that each report
// replaces.
func (s *Stack) gateProgress(run *progressiveRun, rel *Release) func(string) {
	return func(msg string) {
		s.send(env.Event{Time: time.Now(), Kind: "gate", Key: "gate", Version: rel.Version, Message: "gate: " + msg, Rollout: s.snapshot(run)})
	}
}

// snapshot is the rollout's state now, with each group's production counts.
func (s *Stack) snapshot(run *progressiveRun) *rollout.State {
	s.mu.Lock()
	st := run.state
	s.mu.Unlock()
	tr := s.lb.Traffic()
	old, nu := tr.Serving.Rollout(), tr.New.Rollout()
	st.Old, st.New = &old, &nu
	return &st
}

// abortProgressive ends the progressive rollout run as `empctl rollback`
// asks: all production traffic back on the old version at once (it still
// runs), the new replicas stopped. It returns once the rollout has ended.
func (s *Stack) abortProgressive(ctx context.Context, run *progressiveRun, progress func(env.Event)) (env.Rollout, error) {
	if progress != nil {
		progress(env.Event{Time: time.Now(), Kind: "rollback", Message: "a progressive rollout is in flight: returning all production traffic to the old version", Rollout: s.snapshot(run)})
	}
	started := time.Now()
	run.abort(errRolledBack)
	select {
	case <-run.done:
	case <-ctx.Done():
		return env.Rollout{}, fmt.Errorf("waiting for the rollout to end: %w", ctx.Err())
	}
	res := run.result
	if res.Outcome == env.OutcomeCompleted {
		// Promoted before the rollback reached it: roll back as usual.
		return s.Rollback(ctx, progress)
	}
	return env.Rollout{
		Version: res.PreviousVersion, PreviousVersion: res.Version, Outcome: env.OutcomeCompleted, Strategy: res.Strategy, Verdicts: res.Verdicts,
		Reason:  fmt.Sprintf("the %s rollout of %s ended: %s", res.Strategy, res.Version, res.Reason),
		Started: started, Finished: time.Now(),
	}, nil
}

// Traffic is the balancer's per-group counters, which the gate reads.
func (s *Stack) Traffic() balancer.Traffic { return s.lb.Traffic() }
