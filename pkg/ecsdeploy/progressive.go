package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/rollout"
)

// ProgressiveOptions are what a blue/green, canary or linear rollout needs
// besides the service.
type ProgressiveOptions struct {
	Config   rollout.Config
	Gate     rollout.Gate
	Plumbing Plumbing
	// Endpoint is the public entry point (https://<CloudFront domain>): the
	// test route is the same address with the test header.
	Endpoint string
	// HookTimeout is how long ECS holds the deployment at the test hook for
	// empctl's verdict before it rolls back by itself (so a dead empctl
	// promotes nothing), and the margin beyond the final bake at the bake
	// hook. Whole minutes; default 30 min.
	HookTimeout time.Duration
}

// The stages where a PAUSE hook holds the deployment for empctl's word (ECS
// refuses PAUSE hooks at TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT
// themselves). At testStage test traffic reaches the new revision,
// production traffic none yet: the test gate runs. At bakeStage all
// production traffic is on the new revision and the old one still runs:
// empctl's final bake runs, and only its CONTINUE lets ECS clean the old
// revision up.
const (
	testStage = types.DeploymentLifecycleHookStagePostTestTrafficShift
	bakeStage = types.DeploymentLifecycleHookStagePostProductionTrafficShift
)

// ecsMinutes is a duration as ECS's whole minutes, rounded up so that a bake
// is never shorter than asked: a local-style 5 s bake is 1 minute on AWS.
func ecsMinutes(d time.Duration) int32 {
	return int32((d + time.Minute - 1) / time.Minute)
}

// deploymentConfiguration is the strategy as UpdateService takes it, with
// PAUSE hooks at the test and the bake stages whose timeout action is
// ROLLBACK: if empctl dies anywhere after the test gate, the deployment
// reaches (or sits at) the bake hook and its timeout rolls it back. A
// deployment is never promoted by default. ECS's own bake is 0: once
// continued at the bake hook, ECS cleans the old revision up at once.
//
// Two hooks, as each has its own timeout. The bake hook's is the bake plus
// hookTimeout's margin: empctl starts its bake only when it has seen the
// pause, and the gate's last reading of CloudWatch's one-minute sums may end
// after it; the margin is also the longest a dead empctl leaves all
// production traffic on the new revision after the bake.
func deploymentConfiguration(c rollout.Config, hookTimeout time.Duration) *types.DeploymentConfiguration {
	dc := &types.DeploymentConfiguration{
		MaximumPercent: aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
		BakeTimeInMinutes: aws.Int32(0),
		LifecycleHooks: []types.DeploymentLifecycleHook{
			pauseHook(testStage, ecsMinutes(hookTimeout)),
			pauseHook(bakeStage, ecsMinutes(c.Bake)+ecsMinutes(hookTimeout)),
		},
	}
	switch c.Strategy {
	case rollout.BlueGreen:
		dc.Strategy = types.DeploymentStrategyBlueGreen
	case rollout.Canary:
		dc.Strategy = types.DeploymentStrategyCanary
		dc.CanaryConfiguration = &types.CanaryConfiguration{CanaryPercent: aws.Float64(c.CanaryPercent), CanaryBakeTimeInMinutes: aws.Int32(ecsMinutes(c.CanaryBake))}
	case rollout.Linear:
		dc.Strategy = types.DeploymentStrategyLinear
		dc.LinearConfiguration = &types.LinearConfiguration{StepPercent: aws.Float64(c.StepPercent), StepBakeTimeInMinutes: aws.Int32(ecsMinutes(c.StepBake))}
	}
	return dc
}

// pauseHook holds the deployment at stage for minutes (within ECS's 1 to
// 20160), then rolls it back.
func pauseHook(stage types.DeploymentLifecycleHookStage, minutes int32) types.DeploymentLifecycleHook {
	return types.DeploymentLifecycleHook{
		TargetType:      types.DeploymentLifecycleHookTargetTypePause,
		LifecycleStages: []types.DeploymentLifecycleHookStage{stage},
		TimeoutConfiguration: &types.DeploymentLifecycleHookTimeoutConfiguration{
			TimeoutInMinutes: aws.Int32(min(max(minutes, 1), 20160)), Action: types.DeploymentLifecycleHookActionRollback,
		},
	}
}

// onECS is the configuration with its bakes in ECS's whole minutes: the
// step bakes ECS runs, and the final bake empctl runs at the bake hook, whose
// timeout counts whole minutes too (as do CloudWatch's metrics).
func onECS(c rollout.Config) rollout.Config {
	m := func(d time.Duration) time.Duration { return time.Duration(ecsMinutes(d)) * time.Minute }
	c.Bake, c.CanaryBake, c.StepBake = m(c.Bake), m(c.CanaryBake), m(c.StepBake)
	return c
}

// progress is one progressive rollout being driven: the gate's verdicts,
// the steps watched, and what was last reported.
type progress struct {
	w        *watcher
	p        ProgressiveOptions
	cfg      rollout.Config // with ECS's bakes
	steps    []rollout.Step
	route    rollout.TestRoute
	traffic  rollout.Traffic
	tested   bool
	baked    bool      // the final bake began, at the bake hook
	bakeEnds time.Time // when empctl's final bake ends
	watched  int
	verdicts []rollout.Verdict
	decided  rollout.Stage
	last     string
	arn      string
}

// DeployProgressive updates the service to taskDefARN with the blue/green,
// canary or linear strategy of opts.Config and promotes it only on the
// gate's word: at the test hook it runs Gate.Test through the test route and
// continues the hook (its own hookId) or rolls back; during each production
// step it runs Gate.Watch on the public endpoint, fed by the ALB's
// per-target-group metrics, and stops the deployment with a rollback at the
// first failing verdict; at the bake hook it runs the final bake's
// Gate.Watch and continues that hook (its own hookId) or rolls back there.
// A cancelled ctx while a gate runs rolls back too (nobody vouched for the
// new revision) and says so; if the process dies instead, the hooks'
// timeouts roll back.
func DeployProgressive(ctx context.Context, c Clients, svc Service, taskDefARN string, p ProgressiveOptions, opts WatchOptions) (Result, error) {
	start := time.Now()
	if !p.Config.Strategy.Progressive() {
		return Result{}, fmt.Errorf("strategy %q is not progressive", p.Config.Strategy)
	}
	if err := p.Plumbing.check(); err != nil {
		return Result{}, err
	}
	if p.Gate == nil || c.CW == nil {
		return Result{}, errors.New("a progressive rollout needs a gate and a CloudWatch client")
	}
	if p.HookTimeout <= 0 {
		p.HookTimeout = 30 * time.Minute
	}
	w := newWatcher(c, svc, opts)
	s, err := describeService(ctx, c, svc)
	if err != nil {
		return Result{}, err
	}
	from := aws.ToString(s.TaskDefinition)
	res := Result{Service: svc.Name, From: from, To: taskDefARN, Strategy: p.Config.Strategy}
	value, err := testHeaderValue(ctx, c, p.Plumbing)
	if err != nil {
		return res, err
	}
	oldTG, newTG, err := liveTargetGroups(ctx, c, svc, p.Plumbing)
	if err != nil {
		return res, err
	}
	lbs, err := loadBalancers(s, svc, p.Plumbing)
	if err != nil {
		return res, err
	}
	pr := &progress{w: w, p: p, cfg: onECS(p.Config)}
	pr.steps = pr.cfg.Steps()
	pr.route = rollout.TestRoute{BaseURL: p.Endpoint, Header: http.Header{http.CanonicalHeaderKey(p.Plumbing.TestHeaderName): {value}}}
	pr.traffic = newALBTraffic(c.CW, p.Plumbing.ProductionRuleARN, oldTG, newTG, start)
	if pr.cfg.Bake != p.Config.Bake || pr.cfg.CanaryBake != p.Config.CanaryBake || pr.cfg.StepBake != p.Config.StepBake {
		w.info("ECS counts bakes and hook timeouts in whole minutes: bakes rounded up to %s", bakes(pr.cfg))
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("cancelled before updating service %s: nothing changed: %w", svc.Name, err)
	}
	_, err = c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(svc.Cluster), Service: aws.String(svc.Name), TaskDefinition: aws.String(taskDefARN),
		ForceNewDeployment: true, DesiredCount: svc.DesiredCount,
		DeploymentConfiguration: deploymentConfiguration(p.Config, p.HookTimeout), LoadBalancers: lbs,
	})
	if err != nil {
		return res, fmt.Errorf("updating service %s to %s with the %s strategy: %w", svc.Name, shortTaskDef(taskDefARN), p.Config.Strategy, err)
	}
	w.info("updated service %s from %s to %s (%s; new revision in %s, old in %s)", svc.Name, shortTaskDef(from), shortTaskDef(taskDefARN),
		p.Config.Strategy, tgDimension(newTG), tgDimension(oldTG))
	deadline := start.Add(w.opts.Timeout + p.HookTimeout + totalBake(pr.steps))
	v, err := pr.run(ctx, s, taskDefARN, deadline)
	res.Deployment, res.Verdicts, res.Stage = v.deployment, pr.verdicts, pr.decided
	res.Duration = time.Since(start)
	if err != nil {
		return res, err
	}
	res.Outcome, res.Reason = v.outcome, v.reason
	switch v.outcome {
	case Completed:
		res.Reason = ""
		w.markServed(ctx, taskDefARN)
		return res, nil
	case RolledBack:
		res.RolledBackTo = Revision(v.serving)
	}
	return res, &RolloutError{Result: res}
}

func bakes(c rollout.Config) string {
	switch c.Strategy {
	case rollout.Canary:
		return fmt.Sprintf("canary %s, final %s", c.CanaryBake, c.Bake)
	case rollout.Linear:
		return fmt.Sprintf("step %s, final %s", c.StepBake, c.Bake)
	}
	return c.Bake.String()
}

func totalBake(steps []rollout.Step) time.Duration {
	var d time.Duration
	for _, s := range steps {
		d += s.Bake
	}
	return d
}

// loadBalancers is the service's load balancer with the advanced
// configuration that lets ECS shift traffic between the two target groups.
// UpdateService replaces the whole list, container name and port included:
// they are the service's own.
func loadBalancers(s *types.Service, svc Service, p Plumbing) ([]types.LoadBalancer, error) {
	i := slices.IndexFunc(s.LoadBalancers, func(lb types.LoadBalancer) bool {
		tg := aws.ToString(lb.TargetGroupArn)
		return tg == svc.TargetGroupARN || tg == p.AlternateTargetGroupARN
	})
	if i < 0 {
		return nil, fmt.Errorf("service %s has no load balancer on target group %s: %s", svc.Name, svc.TargetGroupARN, provisionHint)
	}
	lb := s.LoadBalancers[i]
	lb.AdvancedConfiguration = &types.AdvancedConfiguration{
		AlternateTargetGroupArn: aws.String(p.AlternateTargetGroupARN), ProductionListenerRule: aws.String(p.ProductionRuleARN),
		TestListenerRule: aws.String(p.TestRuleARN), RoleArn: aws.String(p.RoleARN),
	}
	return []types.LoadBalancer{lb}, nil
}

// run follows the deployment to its end, acting at the test hook and during
// the production steps.
func (pr *progress) run(ctx context.Context, before *types.Service, target string, deadline time.Time) (verdict, error) {
	w := pr.w
	prev := aws.ToString(before.CurrentServiceDeployment)
	for {
		s, err := describeService(ctx, w.c, w.svc)
		if err != nil && !w.transient(ctx, err) {
			return verdict{deployment: pr.arn}, pr.fail(ctx, err)
		}
		if err == nil && pr.arn == "" {
			if cur := aws.ToString(s.CurrentServiceDeployment); cur != "" && cur != prev {
				pr.arn = cur
				w.info("following service deployment %s", cur)
			}
		}
		if err == nil && pr.arn != "" {
			sd, err := w.serviceDeployment(ctx, pr.arn)
			switch {
			case err == nil:
				if v, done := apiVerdict(sd, s, target); done {
					pr.report(sd)
					return v, nil
				}
				if err := pr.act(ctx, sd); err != nil {
					return verdict{deployment: pr.arn}, err
				}
			case !errors.Is(err, errNotDescribed) && !w.transient(ctx, err):
				return verdict{deployment: pr.arn}, pr.fail(ctx, err)
			}
		}
		if time.Now().After(deadline) && pr.arn != "" {
			if err := pr.rollBack(ctx, nil, "no verdict by the deadline"); err != nil {
				return verdict{deployment: pr.arn}, err
			}
			return verdict{outcome: TimedOut, deployment: pr.arn, reason: "no verdict by the deadline; rolling back"}, nil
		}
		select {
		case <-ctx.Done():
			return verdict{deployment: pr.arn}, pr.interrupted(ctx)
		case <-time.After(w.opts.PollInterval):
		}
	}
}

// interrupted rolls back a deployment whose watch was cancelled between two
// gates: a progressive rollout is never promoted by default.
func (pr *progress) interrupted(ctx context.Context) error {
	if pr.arn == "" {
		return detached(ctx, pr.w.svc, pr.arn)
	}
	if err := pr.rollBack(context.WithoutCancel(ctx), nil, "interrupted"); err != nil {
		return fmt.Errorf("interrupted; rolling back failed too (%v): %w", err, ctx.Err())
	}
	return fmt.Errorf("interrupted: rolled back (ECS puts all traffic back on the old revision): %w", ctx.Err())
}

// fail is an operational error while following; the deployment goes on in
// ECS, where the test hook's timeout rolls it back if it waits there.
func (pr *progress) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return detached(ctx, pr.w.svc, pr.arn)
	}
	return err
}

// act runs the gate where the deployment is: the test at the paused test
// hook, a watch for each production step but the last while ECS shifts and
// bakes it, and the final bake at the paused bake hook. The stage the
// deployment waits at says which hook is paused (a hook's details name no
// stage).
func (pr *progress) act(ctx context.Context, sd *types.ServiceDeployment) error {
	pr.report(sd)
	if sd.Status != types.ServiceDeploymentStatusInProgress {
		return nil
	}
	hook := awaiting(sd)
	switch {
	case hook != nil && sd.LifecycleStage == types.ServiceDeploymentLifecycleStage(testStage) && !pr.tested:
		pr.tested = true
		v, err := pr.p.Gate.Test(ctx, pr.route, pr.gateProgress)
		return pr.decide(ctx, sd, hook, v, err, rollout.StageTestTraffic)
	case hook == nil && sd.LifecycleStage == types.ServiceDeploymentLifecycleStageProductionTrafficShift && pr.watched < len(pr.steps)-1:
		pr.watched++
		step := pr.steps[pr.watched-1]
		pr.emitState(sd, nil)
		v, err := pr.p.Gate.Watch(ctx, pr.p.Endpoint, pr.traffic, pr.watched, step.Bake, pr.gateProgress)
		return pr.decide(ctx, sd, nil, v, err, rollout.StageProductionShift)
	case hook != nil && sd.LifecycleStage == types.ServiceDeploymentLifecycleStage(bakeStage) && !pr.baked:
		pr.baked, pr.watched = true, len(pr.steps)
		bake := pr.steps[len(pr.steps)-1].Bake
		pr.bakeEnds = time.Now().Add(bake)
		pr.emitState(sd, nil)
		v, err := pr.p.Gate.Watch(ctx, pr.p.Endpoint, pr.traffic, pr.watched, bake, pr.gateProgress)
		return pr.decide(ctx, sd, hook, v, err, rollout.StageBake)
	}
	return nil
}

func (pr *progress) gateProgress(msg string) {
	pr.w.emit(Event{Kind: EventInfo, Message: "gate: " + msg})
}

func inProduction(s types.ServiceDeploymentLifecycleStage) bool {
	switch s {
	case types.ServiceDeploymentLifecycleStageProductionTrafficShift, types.ServiceDeploymentLifecycleStagePostProductionTrafficShift, types.ServiceDeploymentLifecycleStageBakeTime:
		return true
	}
	return false
}

// decide acts on a gate's verdict: on at the hook when it promotes, else a
// rollback at once (at the hook, ContinueServiceDeployment ROLLBACK; during
// production, StopServiceDeployment ROLLBACK).
func (pr *progress) decide(ctx context.Context, sd *types.ServiceDeployment, hook *types.DeploymentLifecycleHookDetail, v rollout.Verdict, err error, stage rollout.Stage) error {
	v.Stage = stage // the gate's Watch says production-shift for the final bake too
	if err != nil && ctx.Err() == nil {
		v.Promote, v.Reason = false, joinReasons(v.Reason, "the gate failed: "+err.Error())
	}
	pr.verdicts = append(pr.verdicts, v)
	pr.w.emit(Event{Kind: EventInfo, Message: fmt.Sprintf("gate at %s: %s", v.Stage, verdictWord(v)), Verdict: &v})
	if ctx.Err() != nil {
		pr.decided = stage
		// Interrupted while the gate ran: nobody vouched for the new
		// revision, so it goes, whatever the gate saw so far.
		rbErr := pr.rollBack(context.WithoutCancel(ctx), hook, "interrupted while the gate ran at "+string(stage))
		if rbErr != nil {
			return fmt.Errorf("interrupted at %s; rolling back failed too (%v): %w", stage, rbErr, ctx.Err())
		}
		return fmt.Errorf("interrupted at %s: rolled back (ECS puts all traffic back on the old revision): %w", stage, ctx.Err())
	}
	if !v.Promote {
		pr.decided = stage
		return pr.rollBack(ctx, hook, v.Reason)
	}
	if hook != nil {
		pr.decided = stage
		if _, err := pr.w.c.ECS.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
			ServiceDeploymentArn: sd.ServiceDeploymentArn, HookId: hook.HookId, Action: types.DeploymentLifecycleHookActionContinue,
		}); err != nil {
			// The hook may have timed out (and rolled back) meanwhile: follow.
			pr.w.info("ECS refused to continue the deployment (%v); following it", err)
			return nil
		}
		pr.w.info("continued the deployment at %s (hook %s)", sd.LifecycleStage, aws.ToString(hook.HookId))
	}
	return nil
}

func verdictWord(v rollout.Verdict) string {
	if v.Promote {
		return "promote (" + v.Reason + ")"
	}
	return "roll back (" + v.Reason + ")"
}

// rollBack rolls the deployment back at once: at a paused hook through the
// hook, else by stopping the deployment.
func (pr *progress) rollBack(ctx context.Context, hook *types.DeploymentLifecycleHookDetail, why string) error {
	return rollBackDeployment(ctx, pr.w, pr.arn, hook, why)
}

func rollBackDeployment(ctx context.Context, w *watcher, arn string, hook *types.DeploymentLifecycleHookDetail, why string) error {
	if hook != nil {
		_, err := w.c.ECS.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
			ServiceDeploymentArn: aws.String(arn), HookId: hook.HookId, Action: types.DeploymentLifecycleHookActionRollback,
		})
		if err == nil {
			w.info("rolling back at the paused hook %s: %s", aws.ToString(hook.HookId), why)
			return nil
		}
		w.info("ECS refused the rollback at the hook (%v); stopping the deployment instead", err)
	}
	_, err := w.c.ECS.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(arn), StopType: types.StopServiceDeploymentStopTypeRollback,
	})
	if err != nil {
		if sd, e := w.serviceDeployment(ctx, arn); e == nil && !slices.Contains(running, sd.Status) {
			w.info("the deployment is %s already; following it", sd.Status)
			return nil
		}
		return fmt.Errorf("rolling back service deployment %s (%s): %w", arn, why, err)
	}
	w.info("rolling back: %s; all production traffic returns to the old revision, which still runs", why)
	return nil
}

// awaiting is the deployment's hook that waits for an action, nil if none.
func awaiting(sd *types.ServiceDeployment) *types.DeploymentLifecycleHookDetail {
	for i := range sd.LifecycleHookDetails {
		if h := &sd.LifecycleHookDetails[i]; h.Status == types.DeploymentLifecycleHookStatusAwaitingAction {
			return h
		}
	}
	return nil
}

// report emits the rollout's state when it changed.
func (pr *progress) report(sd *types.ServiceDeployment) {
	st := pr.state(sd)
	key := fmt.Sprintf("%s/%d/%s/%s", st.Stage, st.Step, st.Hook, sd.Status)
	if key == pr.last {
		return
	}
	pr.last = key
	pr.emitState(sd, &st)
}

func (pr *progress) emitState(sd *types.ServiceDeployment, st *rollout.State) {
	if st == nil {
		s := pr.state(sd)
		st = &s
	}
	msg := fmt.Sprintf("%s: %s (%s)", st.Strategy, describeState(*st), sd.Status)
	pr.w.emit(Event{Kind: EventInfo, Message: msg, Deployment: string(sd.Status), Rollout: st})
}

// state is the rollout's position: ECS's lifecycle stage, and for the
// production steps the step empctl is watching with its planned weight (ECS
// writes the actual weights into the listener rule, not into its API); in
// the final bake, when empctl's bake ends.
func (pr *progress) state(sd *types.ServiceDeployment) rollout.State {
	st := stateOf(sd, time.Now())
	st.Strategy, st.Steps = pr.p.Config.Strategy, len(pr.steps)
	if inProduction(sd.LifecycleStage) && pr.watched > 0 {
		st.Step, st.Weight = pr.watched, pr.steps[pr.watched-1].Weight
	}
	if pr.baked && sd.LifecycleStage == types.ServiceDeploymentLifecycleStage(bakeStage) {
		st.BakeEnds = pr.bakeEnds
	}
	return st
}

// stateOf reads what ECS says of a progressive deployment: stage, the hook
// awaiting action, and the end of a bake: in BAKE_TIME the stage's start
// (which ECS records as the deployment's last update) plus
// bakeTimeInMinutes; at empctl's bake hook, bakeEndsAtHook.
func stateOf(sd *types.ServiceDeployment, now time.Time) rollout.State {
	st := rollout.State{Stage: stageOf(sd.LifecycleStage)}
	h := awaiting(sd)
	if dc := sd.DeploymentConfiguration; dc != nil {
		st.Strategy = strategyOf(dc.Strategy)
		switch {
		case sd.LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime && sd.UpdatedAt != nil:
			st.BakeEnds = sd.UpdatedAt.Add(time.Duration(aws.ToInt32(dc.BakeTimeInMinutes)) * time.Minute)
			st.Weight = 100
		case sd.LifecycleStage == types.ServiceDeploymentLifecycleStage(bakeStage):
			st.Weight = 100
			if h != nil {
				st.BakeEnds = bakeEndsAtHook(dc, h)
			}
		}
	}
	if h != nil {
		st.Hook = fmt.Sprintf("%s at %s (hook %s", h.Status, sd.LifecycleStage, aws.ToString(h.HookId))
		if h.ExpiresAt != nil {
			st.Hook += fmt.Sprintf("; %s on its own in %s", h.TimeoutAction, h.ExpiresAt.Sub(now).Round(time.Second))
		}
		st.Hook += ")"
	}
	return st
}

// bakeEndsAtHook is when empctl's bake at the paused bake hook ends, as
// another process can tell: the hook's timeout is the bake plus the test
// hook's (deploymentConfiguration), so the bake ends the test hook's timeout
// before the hook expires (within a look: empctl starts baking when it sees
// the pause). Zero for a configuration empctl did not write.
func bakeEndsAtHook(dc *types.DeploymentConfiguration, h *types.DeploymentLifecycleHookDetail) time.Time {
	margin := hookMinutes(dc, testStage)
	if margin == 0 || hookMinutes(dc, bakeStage) == 0 || h.ExpiresAt == nil {
		return time.Time{}
	}
	return h.ExpiresAt.Add(-time.Duration(margin) * time.Minute)
}

// hookMinutes is the timeout of the PAUSE hook at stage, 0 if none.
func hookMinutes(dc *types.DeploymentConfiguration, stage types.DeploymentLifecycleHookStage) int32 {
	for _, h := range dc.LifecycleHooks {
		if h.TargetType == types.DeploymentLifecycleHookTargetTypePause && slices.Contains(h.LifecycleStages, stage) && h.TimeoutConfiguration != nil {
			return aws.ToInt32(h.TimeoutConfiguration.TimeoutInMinutes)
		}
	}
	return 0
}

func stageOf(s types.ServiceDeploymentLifecycleStage) rollout.Stage {
	switch s {
	case types.ServiceDeploymentLifecycleStageTestTrafficShift, types.ServiceDeploymentLifecycleStagePostTestTrafficShift:
		return rollout.StageTestTraffic
	case types.ServiceDeploymentLifecycleStageProductionTrafficShift:
		return rollout.StageProductionShift
	case types.ServiceDeploymentLifecycleStagePostProductionTrafficShift, types.ServiceDeploymentLifecycleStageBakeTime:
		return rollout.StageBake
	case types.ServiceDeploymentLifecycleStageCleanUp:
		return rollout.StageDone
	}
	return rollout.StageScaleUp
}

func strategyOf(s types.DeploymentStrategy) rollout.Strategy {
	switch s {
	case types.DeploymentStrategyBlueGreen:
		return rollout.BlueGreen
	case types.DeploymentStrategyCanary:
		return rollout.Canary
	case types.DeploymentStrategyLinear:
		return rollout.Linear
	}
	return rollout.Rolling
}

func describeState(st rollout.State) string {
	s := string(st.Stage)
	if st.Stage == rollout.StageProductionShift && st.Step > 0 {
		s = fmt.Sprintf("production shift %d of %d, %g %% on the new revision", st.Step, st.Steps, st.Weight)
	}
	if !st.BakeEnds.IsZero() {
		s += fmt.Sprintf(", bake ends %s", st.BakeEnds.UTC().Format(time.TimeOnly))
	}
	if st.Hook != "" {
		s += ", " + st.Hook
	}
	return s
}

// inFlight is the service's progressive deployment still running, nil if
// none.
func inFlight(ctx context.Context, w *watcher, s *types.Service) *types.ServiceDeployment {
	arn := aws.ToString(s.CurrentServiceDeployment)
	if arn == "" {
		return nil
	}
	sd, err := w.serviceDeployment(ctx, arn)
	if err != nil || !slices.Contains(running, sd.Status) || sd.DeploymentConfiguration == nil || !strategyOf(sd.DeploymentConfiguration.Strategy).Progressive() {
		return nil
	}
	return sd
}

// rollBackInFlight returns all traffic to the old revision of a progressive
// deployment under way (it still runs): ContinueServiceDeployment ROLLBACK at
// a paused hook, else StopServiceDeployment ROLLBACK; then it follows the
// rollback to its end.
func rollBackInFlight(ctx context.Context, w *watcher, s *types.Service, sd *types.ServiceDeployment) (Result, error) {
	start := time.Now()
	arn := aws.ToString(sd.ServiceDeploymentArn)
	target := aws.ToString(s.TaskDefinition)
	res := Result{Service: w.svc.Name, From: target, Deployment: arn, Strategy: strategyOf(sd.DeploymentConfiguration.Strategy), Stage: stageOf(sd.LifecycleStage)}
	w.info("the %s deployment %s of %s is at %s: rolling it back", res.Strategy, arn, shortTaskDef(target), sd.LifecycleStage)
	if err := rollBackDeployment(ctx, w, arn, awaiting(sd), "asked for by empctl rollback"); err != nil {
		return res, err
	}
	deadline := time.Now().Add(w.opts.Timeout)
	for {
		s, err := describeService(ctx, w.c, w.svc)
		if err == nil {
			if sd, err = w.serviceDeployment(ctx, arn); err == nil {
				if v, done := apiVerdict(sd, s, target); done {
					res.Outcome, res.Reason, res.To, res.Duration = v.outcome, v.reason, v.serving, time.Since(start)
					if v.outcome == RolledBack {
						res.Outcome, res.RolledBackTo = Completed, Revision(v.serving)
						return res, nil
					}
					return res, &RolloutError{Result: res}
				}
			}
		}
		if err != nil && !w.transient(ctx, err) && !errors.Is(err, errNotDescribed) {
			return res, (&progress{w: w, arn: arn}).fail(ctx, err)
		}
		if time.Now().After(deadline) {
			res.Outcome, res.Duration = TimedOut, time.Since(start)
			return res, &RolloutError{Result: res}
		}
		select {
		case <-ctx.Done():
			return res, detached(ctx, w.svc, arn)
		case <-time.After(w.opts.PollInterval):
		}
	}
}
