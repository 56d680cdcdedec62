package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/balancer"
)

// Deploy rolls rel out as ECS does with minimum healthy 100 % and maximum
// 200 %: it starts a full set of new replicas next to the old ones, waits
// until each has passed its health checks, and only then drains and stops the
// old ones. If a new replica does not turn healthy within the grace period the
// circuit breaker trips: the new replicas are stopped, the old ones keep
// serving, and the error wraps env.ErrRolloutFailed.
func (s *Stack) Deploy(ctx context.Context, rel *Release, progress func(env.Event)) (env.Rollout, error) {
	return s.DeployWith(ctx, rel, env.DeployOptions{}, progress)
}

// DeployWith is Deploy with opts' strategy: a progressive one (blue/green,
// canary, linear) runs as progressive.go describes, promoted by opts.Gate.
func (s *Stack) DeployWith(ctx context.Context, rel *Release, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	if opts.Strategy.Strategy.Progressive() {
		if err := opts.Strategy.Validate(); err != nil {
			return env.Rollout{}, err
		}
		if opts.Gate == nil {
			return env.Rollout{}, errors.New("a progressive rollout needs a gate to promote it")
		}
	}
	s.deployMu.Lock()
	defer s.deployMu.Unlock()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return env.Rollout{}, ErrClosing
	}
	cur := s.current
	if _, err := decide(cur, rel); err != nil {
		s.mu.Unlock()
		return env.Rollout{}, err
	}
	rel.Version = s.uniqueVersion(rel.Version)
	s.mu.Unlock()
	if opts.Strategy.Strategy.Progressive() {
		return s.progressive(ctx, cur, rel, opts.Strategy, opts.Gate, progress)
	}
	return s.rollout(ctx, cur, rel, progress)
}

// ErrNoPrevious means there is no release to roll back to.
var ErrNoPrevious = errors.New("there is no previous release to roll back to: deploy one first with `empctl deploy backend`")

// Rollback rolls back to the release that was serving before the current one,
// the same way Deploy rolls out. During a progressive rollout it instead
// returns all production traffic to the old version at once and ends that
// rollout (abortProgressive).
func (s *Stack) Rollback(ctx context.Context, progress func(env.Event)) (env.Rollout, error) {
	return s.RollbackWith(ctx, env.DeployOptions{}, progress)
}

// RollbackWith rolls back to the previous release with opts' strategy and
// gate: a progressive rollback is a progressive rollout of the release that
// served before, promoted by the gate like any other. During a progressive
// rollout it ends that rollout instead, as Rollback does.
func (s *Stack) RollbackWith(ctx context.Context, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	if opts.Strategy.Strategy.Progressive() {
		if err := opts.Strategy.Validate(); err != nil {
			return env.Rollout{}, err
		}
		if opts.Gate == nil {
			return env.Rollout{}, errors.New("a progressive rollback needs a gate to promote it")
		}
	}
	s.mu.Lock()
	run := s.prog
	s.mu.Unlock()
	if run != nil {
		return s.abortProgressive(ctx, run, progress)
	}
	s.deployMu.Lock()
	defer s.deployMu.Unlock()
	s.mu.Lock()
	cur, prev, closing := s.current, s.previous, s.closing
	s.mu.Unlock()
	if closing {
		return env.Rollout{}, ErrClosing
	}
	if prev == nil {
		return env.Rollout{}, ErrNoPrevious
	}
	if opts.Strategy.Strategy.Progressive() {
		return s.progressive(ctx, cur, prev, opts.Strategy, opts.Gate, progress)
	}
	return s.rollout(ctx, cur, prev, progress)
}

// decide is what a deploy of rel over cur does, for the deploy and its dry
// run alike: an error wrapping env.ErrSameBuild when rel is the running build
// (same binary, same environment) and no redeploy is forced.
func decide(cur, rel *Release) (string, error) {
	switch {
	case cur.Digest == "" || rel.Digest != cur.Digest || !maps.Equal(rel.Env, cur.Env):
		return env.ActionRollout, nil
	case rel.Force:
		return env.ActionRedeploy, nil
	}
	return env.ActionUnchanged, fmt.Errorf("%w (%s): nothing to deploy; force a redeploy as a new version with --force", env.ErrSameBuild, cur.Version)
}

// Plan says what DeployWith would do with rel, through the same decision,
// changing nothing: the version it would run as and its steps in words.
func (s *Stack) Plan(rel Release) env.Plan {
	s.mu.Lock()
	cur := s.current
	p := env.Plan{Env: "local", Version: s.nextVersion(rel.Version), Artifact: rel.Binary, Current: cur.Version}
	s.mu.Unlock()
	action, err := decide(cur, &rel)
	p.Action = action
	if err != nil {
		p.Reason, p.Version = err.Error(), rel.Version
		return p
	}
	p.Steps = []string{
		fmt.Sprintf("start %d replicas of %s beside the %d of %s", s.opts.Replicas, p.Version, s.opts.Replicas, cur.Version),
		"wait until every new replica passes its /readyz health checks",
		"drain and stop the replicas of " + cur.Version,
	}
	if action == env.ActionRedeploy {
		p.Steps[0] = "the build is the one running: redeploy it as a new version, " + p.Steps[0]
	}
	return p
}

// uniqueVersion gives a redeploy of an already used version a new name, so
// that every response's X-App-Version tells the releases apart.
func (s *Stack) uniqueVersion(v string) string {
	name := s.nextVersion(v)
	s.versions[name] = true
	return name
}

// nextVersion is the name uniqueVersion would give v; the caller holds mu.
func (s *Stack) nextVersion(v string) string {
	name := v
	for n := 2; s.versions[name]; n++ {
		name = v + "+r" + strconv.Itoa(n)
	}
	return name
}

// rollout replaces cur's replicas with rel's; the caller holds deployMu.
func (s *Stack) rollout(ctx context.Context, cur, rel *Release, progress func(env.Event)) (env.Rollout, error) {
	s.mu.Lock()
	s.deploying, s.progress, s.rolling = true, progress, rel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.deploying, s.progress, s.rolling = false, nil, nil
		s.mu.Unlock()
	}()

	ro := env.Rollout{Version: rel.Version, PreviousVersion: cur.Version, Started: time.Now()}
	s.emit("rollout", "", rel.Version, fmt.Sprintf("rolling out %s to replace %s: starting %d new replicas (minimum healthy 100%%, maximum 200%%)", rel.Version, cur.Version, s.opts.Replicas))
	news, err := s.startSet(balancer.GroupServing, rel)
	if err == nil {
		err = s.waitHealthy(ctx, news)
	}
	if err != nil {
		return s.circuitBreak(ro, cur, news, err)
	}

	s.mu.Lock()
	s.previous, s.current = cur, rel
	var olds []*replica
	for _, r := range s.replicas {
		if _, stopping := r.getState(); r.rel != rel && !stopping {
			olds = append(olds, r)
		}
	}
	s.mu.Unlock()
	s.emit("switched", "", rel.Version, fmt.Sprintf("all %d replicas of %s healthy; draining %d replicas of %s", len(news), rel.Version, len(olds), cur.Version))
	var wg sync.WaitGroup
	for _, r := range olds {
		wg.Go(func() { s.drainAndStop(r) })
	}
	wg.Wait()
	ro.Outcome, ro.Finished = env.OutcomeCompleted, time.Now()
	s.emit("completed", "", rel.Version, fmt.Sprintf("rollout of %s completed in %s", rel.Version, ro.Duration().Round(100*time.Millisecond)))
	return ro, nil
}

// circuitBreak stops the new replicas that did not all turn healthy; the old
// ones keep serving.
func (s *Stack) circuitBreak(ro env.Rollout, cur *Release, news []*replica, err error) (env.Rollout, error) {
	s.emit("circuit-breaker", "", ro.Version, "rollout failed: "+err.Error()+"; stopping the new replicas, "+cur.Version+" keeps serving")
	var wg sync.WaitGroup
	for _, r := range news {
		r.markStopping("stopping")
		s.lb.Remove(r.id)
		wg.Go(func() { r.stop(s.opts.StopTimeout) })
	}
	wg.Wait()
	ro.Outcome, ro.Reason, ro.Finished = env.OutcomeFailed, err.Error(), time.Now()
	// Only a replica that failed its health checks trips the circuit
	// breaker (the verdict); a cancelled rollout, a shutdown or a binary
	// that cannot start are errors of their own.
	var re *rolloutError
	if !errors.As(err, &re) {
		return ro, err
	}
	ro.FailedTarget, ro.Logs = re.r.id, re.r.lastLogLines(15)
	return ro, fmt.Errorf("%w: %v", env.ErrRolloutFailed, err)
}

// drainAndStop deregisters the replica (no new requests; in-flight ones
// finish, for at most the deregistration delay), then stops it.
func (s *Stack) drainAndStop(r *replica) {
	r.markStopping("draining")
	s.emit("draining", r.id, r.rel.Version, r.id+" is draining")
	s.lb.Drain(context.Background(), r.id, s.opts.DeregistrationDelay)
	r.markStopping("stopping")
	s.emit("stopping", r.id, r.rel.Version, r.id+" deregistered; sending SIGTERM")
	r.stop(s.opts.StopTimeout)
	s.emit("stopped", r.id, r.rel.Version, fmt.Sprintf("%s stopped (%s)", r.id, r.exitReason()))
}

// ErrNoTarget means no running replica has the id given.
var ErrNoTarget = errors.New("no such replica")

// KillTarget kills the replica id with SIGKILL, without draining it first: a
// replica crashing, as `verify-zero-downtime --kill` provokes. The stack sees
// it exit and replaces it as it replaces any replica that dies.
func (s *Stack) KillTarget(id string) error {
	r := s.replica(id)
	if r == nil {
		return fmt.Errorf("%w %q: `empctl status` lists the replicas", ErrNoTarget, id)
	}
	s.emit("kill", r.id, r.rel.Version, r.id+" is killed (SIGKILL) without warning")
	if err := r.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("killing %s: %w", id, err)
	}
	return nil
}
