package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/loadtest"
)

// scenario makes the changes under load and records each as an action:
// rollouts (one of them with a kill), then a rollback.
type scenario struct {
	e        env.Environment
	rel      env.Release
	run      *loadtest.Run
	errOut   io.Writer
	progress func(env.Event)
	deploy   env.DeployOptions
	// enter releases the sign-ups planned for a phase that begins.
	enter func(phase string)

	actions []loadtest.Action
	// last is the last rollout or rollback: its version must serve at the end.
	last *env.Rollout
	// killDone is set once a kill was made or failed for good.
	killDone bool
}

// rollout deploys the release once more; with kill it kills one serving
// target of the version being replaced while the rollout runs. A rollout
// over before a target could be killed leaves the kill to the next one,
// unless it is the last. It returns an error only for a failure other than
// the rollout's own verdict.
func (sc *scenario) rollout(ctx context.Context, n int, kill, last bool) error {
	sc.run.Mark(loadtest.PhaseDuring)
	defer sc.run.Mark(loadtest.PhaseAfter)
	sc.enter(phaseRollout(n))
	act := loadtest.Action{Kind: loadtest.ActionRollout, Started: time.Now()}
	var ro env.Rollout
	var err error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ro, err = sc.e.DeployBackend(ctx, sc.rel, sc.deploy, announce(n, sc.progress))
	}()
	var killed *loadtest.Action
	if kill {
		k, tooQuick := sc.killDuring(ctx, finished, n, last)
		if tooQuick && !last {
			sc.progress(env.Event{Time: time.Now(), Kind: "kill",
				Message: fmt.Sprintf("Rollout %d finished before a serving target could be killed: the kill is tried again in rollout %d", n, n+1)})
		} else {
			killed = &k
		}
	}
	<-finished
	act.Finished = time.Now()
	if err := sc.record(act, ro, err); err != nil {
		return err
	}
	if killed != nil { // after its rollout: the actions are in the order they began
		sc.actions = append(sc.actions, *killed)
		sc.killDone = true
	}
	return nil
}

// announce passes a rollout's events on, first saying "Rollout n: deploying
// V" once its first event names V, the version it rolls out: the same build
// redeployed runs as a new version (v+r2 locally, v+r<time> on AWS), which the
// environment names, not the build.
func announce(n int, progress func(env.Event)) func(env.Event) {
	var once sync.Once
	return func(ev env.Event) {
		if ev.Version != "" {
			once.Do(func() {
				progress(env.Event{Time: ev.Time, Kind: "rollout", Version: ev.Version, Message: fmt.Sprintf("Rollout %d: deploying %s", n, ev.Version)})
			})
		}
		progress(ev)
	}
}

// rollback rolls back to the release before the current one.
func (sc *scenario) rollback(ctx context.Context) error {
	fmt.Fprintln(sc.errOut, "Rolling back...")
	sc.run.Mark(loadtest.PhaseDuring)
	defer sc.run.Mark(loadtest.PhaseAfter)
	sc.enter(phaseRollback)
	act := loadtest.Action{Kind: loadtest.ActionRollback, Started: time.Now()}
	ro, err := sc.e.Rollback(ctx, env.RollbackOptions{DeployOptions: sc.deploy}, sc.progress)
	act.Finished = time.Now()
	return sc.record(act, ro, err)
}

// record adds a rollout's or rollback's action. A rollout the circuit breaker
// failed is the report's to judge; any other error ends the verification.
func (sc *scenario) record(act loadtest.Action, ro env.Rollout, err error) error {
	if ro.Outcome != "" {
		act.Rollout = &ro
		sc.last = &ro
	}
	if err != nil && !errors.Is(err, env.ErrRolloutFailed) {
		return fmt.Errorf("%s: %w", act.Kind, err)
	}
	sc.actions = append(sc.actions, act)
	return nil
}

// failed reports whether the last rollout or rollback failed: later ones
// would prove nothing more.
func (sc *scenario) failed() bool {
	return sc.last != nil && sc.last.Outcome != env.OutcomeCompleted
}

// killDuring waits until rollout n runs, then kills a healthy target of the
// version being replaced: one that is serving requests right then. tooQuick
// says the rollout was over before one could be found.
func (sc *scenario) killDuring(ctx context.Context, finished <-chan struct{}, n int, last bool) (act loadtest.Action, tooQuick bool) {
	act = loadtest.Action{Kind: loadtest.ActionKill, Started: time.Now()}
	fail := func(format string, a ...any) (loadtest.Action, bool) {
		act.Finished, act.Error = time.Now(), fmt.Sprintf(format, a...)
		return act, false
	}
	// A local rollout takes a second or two; an ECS one minutes, and its
	// status costs several API calls, which must stay under ECS's rate limits.
	every := 50 * time.Millisecond
	if sc.e.Name() != config.LocalEnv {
		every = 2 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		st, err := sc.e.Status(ctx)
		if err != nil {
			return fail("reading the status to pick a target: %v", err)
		}
		if st.Deploying {
			for _, t := range st.Targets {
				// "healthy" from the local balancer or the ALB's target
				// group; "HEALTHY" from ECS's container health check where
				// the target group does not know the task.
				if t.Version == st.Version && strings.EqualFold(t.Health, "healthy") {
					act.Started, act.Target = time.Now(), t.ID
					// Through the progress writer, which the rollout's
					// goroutine is writing to: never beside it.
					sc.progress(env.Event{Time: time.Now(), Kind: "kill", Target: t.ID, Version: t.Version,
						Message: fmt.Sprintf("Killing %s (%s) without warning...", t.ID, t.Version)})
					if err := sc.e.KillTarget(ctx, t.ID); err != nil {
						return fail("killing %s: %v", t.ID, err)
					}
					act.Finished = time.Now()
					sc.enter(phaseKill) // sign-ups while the target is gone
					return act, false
				}
			}
		}
		select {
		case <-finished:
			what := "the rollout"
			if n > 1 {
				what = fmt.Sprintf("each of the %d rollouts", n)
			}
			act, _ = fail("%s finished before a serving target could be killed: run again with more --rollouts (each is a chance "+
				"for the kill) or against an environment whose rollouts take longer", what)
			return act, true
		case <-ctx.Done():
			return fail("%v", ctx.Err())
		case <-tick.C:
		}
	}
}
