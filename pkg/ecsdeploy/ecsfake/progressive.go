package ecsfake

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// A progressive deployment (strategy BLUE_GREEN, CANARY or LINEAR) runs by
// itself, as on ECS: every DescribeServices moves it one lifecycle stage on
// ("Amazon ECS blue/green service deployments", "…linear…", "…canary…" in the
// ECS developer guide, and DeploymentLifecycleHook in the API reference), unless
// a PAUSE hook holds it at a stage (AWAITING_ACTION until
// ContinueServiceDeployment or its timeout) or a bake has not yet run its
// minutes on the fake's clock. Production traffic weights are the listener
// rules' (ELB's, not ECS's API): the fake keeps them for tests, in Traffic.

// stages are the lifecycle stages a progressive deployment passes, in order
// (ServiceDeploymentLifecycleStage; RECONCILE_SERVICE only happens with more
// than one ACTIVE revision, which the fake's service never has).
var stages = []types.ServiceDeploymentLifecycleStage{
	types.ServiceDeploymentLifecycleStagePreScaleUp, types.ServiceDeploymentLifecycleStageScaleUp,
	types.ServiceDeploymentLifecycleStagePostScaleUp, types.ServiceDeploymentLifecycleStageTestTrafficShift,
	types.ServiceDeploymentLifecycleStagePostTestTrafficShift, types.ServiceDeploymentLifecycleStageProductionTrafficShift,
	types.ServiceDeploymentLifecycleStagePostProductionTrafficShift, types.ServiceDeploymentLifecycleStageBakeTime,
	types.ServiceDeploymentLifecycleStageCleanUp,
}

type shift struct {
	weight float64
	bake   time.Duration
}

// progressive is the state of the progressive deployment in flight.
type progressive struct {
	arn       string
	stage     int // into stages
	shifts    []shift
	shift     int // into shifts, during PRODUCTION_TRAFFIC_SHIFT
	bake      time.Duration
	bakeEnds  time.Time
	hooks     []types.DeploymentLifecycleHook
	paused    bool // a hook of the current stage is AWAITING_ACTION
	continued bool // the current stage's hook was continued
	newTG     string
	oldTG     string
}

// Traffic is where production and test traffic go, as the listener rules'
// weights would say during a deployment, with the largest production weight
// the new revision ever had.
type Traffic struct {
	Stage          types.ServiceDeploymentLifecycleStage
	Weight         float64 // production traffic on the new revision, percent
	TestWeight     float64 // test traffic on the new revision, percent
	MaxWeight      float64
	NewTargetGroup string
	OldTargetGroup string
}

// Traffic is the weights now (a copy).
func (f *Fake) Traffic() Traffic {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.traffic
}

// SetLoadBalancer puts the service behind target group tg, its container
// "api" on port 8080, as Terraform creates it.
func (f *Fake) SetLoadBalancer(tg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.svc.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}}
}

// Advance moves the fake's clock on by d: bakes and hook timeouts run on it.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offset += d
}

// TickPerLook makes every DescribeServices move the fake's clock on by d, so
// a deployment's bakes of minutes pass in a few looks.
func (f *Fake) TickPerLook(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tick = d
}

func (f *Fake) now() time.Time { return time.Now().Add(f.offset) }

// Continue is one ContinueServiceDeployment accepted: its action, the hook
// it named and the lifecycle stage the deployment waited at.
type Continue struct {
	Action string
	HookID string
	Stage  types.ServiceDeploymentLifecycleStage
}

// Continues are the ContinueServiceDeployment requests accepted, in order.
func (f *Fake) Continues() []Continue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.continues)
}

// ContinueRequests are the actions of the ContinueServiceDeployment requests
// accepted, in order.
func (f *Fake) ContinueRequests() []string {
	var out []string
	for _, c := range f.Continues() {
		out = append(out, c.Action)
	}
	return out
}

// Baked is how long ECS's own BAKE_TIME lasted in the last progressive
// deployment (its bakeTimeInMinutes).
func (f *Fake) Baked() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.baked
}

// planProgressive validates a BLUE_GREEN, CANARY or LINEAR update as ECS
// does, before anything changes.
func (f *Fake) planProgressive(in *ecs.UpdateServiceInput) (*progressive, error) {
	dc := in.DeploymentConfiguration
	p := &progressive{bake: minutes(dc.BakeTimeInMinutes)}
	if dc.BakeTimeInMinutes != nil && (*dc.BakeTimeInMinutes < 0 || *dc.BakeTimeInMinutes > 1440) {
		return nil, apiError("InvalidParameterException", "bakeTimeInMinutes must be between 0 and 1440.")
	}
	switch dc.Strategy {
	case types.DeploymentStrategyBlueGreen:
		p.shifts = []shift{{100, p.bake}}
	case types.DeploymentStrategyCanary:
		c := dc.CanaryConfiguration
		if c == nil || c.CanaryPercent == nil || *c.CanaryPercent < 0.1 || *c.CanaryPercent > 100 || math.Abs(*c.CanaryPercent*10-math.Round(*c.CanaryPercent*10)) > 1e-9 {
			return nil, apiError("InvalidParameterException", "canaryConfiguration.canaryPercent must be a multiple of 0.1 between 0.1 and 100.")
		}
		p.shifts = []shift{{*c.CanaryPercent, minutes(c.CanaryBakeTimeInMinutes)}, {100, p.bake}}
	case types.DeploymentStrategyLinear:
		l := dc.LinearConfiguration
		if l == nil || l.StepPercent == nil || *l.StepPercent < 3 || *l.StepPercent > 100 {
			return nil, apiError("InvalidParameterException", "linearConfiguration.stepPercent must be between 3 and 100.")
		}
		for w := *l.StepPercent; w < 100; w += *l.StepPercent {
			p.shifts = append(p.shifts, shift{w, minutes(l.StepBakeTimeInMinutes)})
		}
		p.shifts = append(p.shifts, shift{100, p.bake})
	}
	p.bake = 0 // the last shift carries it
	for _, h := range dc.LifecycleHooks {
		if h.TargetType != types.DeploymentLifecycleHookTargetTypePause {
			return nil, apiError("InvalidParameterException", "the ECS fake models PAUSE hooks only.")
		}
		// DeploymentLifecycleHookTimeoutConfiguration: 1 to 20160 minutes.
		if tc := h.TimeoutConfiguration; tc != nil && tc.TimeoutInMinutes != nil && (*tc.TimeoutInMinutes < 1 || *tc.TimeoutInMinutes > 20160) {
			return nil, apiError("InvalidParameterException", "timeoutInMinutes must be between 1 and 20160.")
		}
		for _, s := range h.LifecycleStages {
			// "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or
			// PRODUCTION_TRAFFIC_SHIFT stages" (DeploymentLifecycleHook).
			if s == types.DeploymentLifecycleHookStageTestTrafficShift || s == types.DeploymentLifecycleHookStageProductionTrafficShift {
				return nil, apiError("InvalidParameterException", "PAUSE hooks cannot be configured at the %s stage.", s)
			}
		}
	}
	var lb *types.LoadBalancer
	for i := range in.LoadBalancers {
		if in.LoadBalancers[i].AdvancedConfiguration != nil {
			lb = &in.LoadBalancers[i]
		}
	}
	if lb == nil {
		return nil, apiError("InvalidParameterException", "The %s deployment strategy requires a load balancer with advancedConfiguration.", dc.Strategy)
	}
	ac := lb.AdvancedConfiguration
	if aws.ToString(ac.AlternateTargetGroupArn) == "" || aws.ToString(ac.ProductionListenerRule) == "" || aws.ToString(ac.RoleArn) == "" {
		return nil, apiError("InvalidParameterException", "advancedConfiguration requires alternateTargetGroupArn, productionListenerRule and roleArn.")
	}
	// The new revision goes to whichever of the two target groups does not
	// serve production now; they swap roles at each deployment.
	p.oldTG = f.liveTG
	if p.oldTG == "" {
		p.oldTG = aws.ToString(lb.TargetGroupArn)
	}
	p.newTG = aws.ToString(ac.AlternateTargetGroupArn)
	if p.newTG == p.oldTG {
		p.newTG = aws.ToString(lb.TargetGroupArn)
	}
	p.hooks = dc.LifecycleHooks
	return p, nil
}

// beginProgressive starts the planned deployment at PRE_SCALE_UP; it is
// called after startDeployment.
func (f *Fake) beginProgressive(p *progressive, in *ecs.UpdateServiceInput) {
	dc := in.DeploymentConfiguration
	p.arn = f.current
	f.prog = p
	if lbs := in.LoadBalancers; lbs != nil {
		f.svc.LoadBalancers = lbs
	}
	sd := f.sds[f.current]
	sd.DeploymentConfiguration = dc
	sd.LifecycleStage = stages[0]
	f.traffic = Traffic{Stage: stages[0], NewTargetGroup: p.newTG, OldTargetGroup: p.oldTG}
	f.baked = 0
	f.pending = nil // the deployment runs by itself
	f.pauseIfHooked()
}

func minutes(m *int32) time.Duration { return time.Duration(aws.ToInt32(m)) * time.Minute }

// hookStage maps a lifecycle stage to the hook stage of the same name.
func (p *progressive) hookAt(stage types.ServiceDeploymentLifecycleStage) *types.DeploymentLifecycleHook {
	for i := range p.hooks {
		if slices.Contains(p.hooks[i].LifecycleStages, types.DeploymentLifecycleHookStage(stage)) {
			return &p.hooks[i]
		}
	}
	return nil
}

// pauseIfHooked holds the deployment at its stage when a PAUSE hook is
// configured there (once per stage: a continued hook lets it go on). Each
// pause has its own hookId; lifecycleHookDetails lists the hooks of the
// current stage ("for each active hook", "Lifecycle hooks for Amazon ECS
// service deployments"). A hook at POST_PRODUCTION_TRAFFIC_SHIFT holds the
// deployment with all production traffic on the new revision and the old one
// still running, so its ROLLBACK is a traffic shift back, as during a bake.
func (f *Fake) pauseIfHooked() {
	p := f.prog
	h := p.hookAt(stages[p.stage])
	if h == nil || p.continued {
		return
	}
	timeout, action := 1440*time.Minute, types.DeploymentLifecycleHookActionRollback // the API's defaults
	if tc := h.TimeoutConfiguration; tc != nil {
		if tc.TimeoutInMinutes != nil {
			timeout = minutes(tc.TimeoutInMinutes)
		}
		if tc.Action != "" {
			action = tc.Action
		}
	}
	f.seq++
	expires := f.now().Add(timeout)
	sd := f.sds[p.arn]
	sd.LifecycleHookDetails = []types.DeploymentLifecycleHookDetail{{
		HookId: aws.String(fmt.Sprintf("ecs-pause-%06d", f.seq)), Status: types.DeploymentLifecycleHookStatusAwaitingAction,
		ExpiresAt: &expires, TargetType: types.DeploymentLifecycleHookTargetTypePause, TimeoutAction: action,
	}}
	p.paused = true
}

// stepProgressive is one look at a progressive deployment in flight.
func (f *Fake) stepProgressive() {
	p := f.prog
	sd := f.sds[p.arn]
	switch sd.Status {
	case types.ServiceDeploymentStatusRollbackInProgress:
		RollbackComplete()(f)
		f.prog = nil
		return
	case types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress:
	default:
		return
	}
	sd.Status = types.ServiceDeploymentStatusInProgress
	if p.paused {
		return
	}
	now := f.now()
	if stages[p.stage] == types.ServiceDeploymentLifecycleStageProductionTrafficShift {
		if now.Before(p.bakeEnds) {
			return
		}
		if p.shift+1 < len(p.shifts) {
			p.shift++
			f.shiftTo(p.shift, now)
			return
		}
	}
	if stages[p.stage] == types.ServiceDeploymentLifecycleStageBakeTime && now.Before(p.bakeEnds) {
		return
	}
	p.stage++
	p.continued = false
	sd.LifecycleStage, sd.UpdatedAt = stages[p.stage], &now
	f.traffic.Stage = stages[p.stage]
	switch stages[p.stage] {
	case types.ServiceDeploymentLifecycleStageScaleUp:
		f.launch(f.primary().DesiredCount)
		f.healthy()
	case types.ServiceDeploymentLifecycleStageTestTrafficShift:
		f.traffic.TestWeight = 100
	case types.ServiceDeploymentLifecycleStageProductionTrafficShift:
		p.shift = 0
		f.shiftTo(0, now)
	case types.ServiceDeploymentLifecycleStageBakeTime:
		// The last shift's bake is the deployment's bakeTimeInMinutes: both
		// revisions run, all production traffic on the new one. With 0 the
		// next look goes on to CLEAN_UP.
		f.baked = p.shifts[len(p.shifts)-1].bake
		p.bakeEnds = now.Add(f.baked)
	case types.ServiceDeploymentLifecycleStageCleanUp:
		Drain()(f)
		f.complete()
		f.liveTG = p.newTG
		f.traffic.Stage = ""
		f.prog = nil
		return
	}
	f.pauseIfHooked()
}

// shiftTo moves production traffic to shift i's weight; it bakes until the
// next shift, but for the last, whose bake is BAKE_TIME's.
func (f *Fake) shiftTo(i int, now time.Time) {
	p := f.prog
	f.traffic.Weight = p.shifts[i].weight
	f.traffic.MaxWeight = max(f.traffic.MaxWeight, f.traffic.Weight)
	p.bakeEnds = now
	if i < len(p.shifts)-1 {
		p.bakeEnds = now.Add(p.shifts[i].bake)
	}
	f.event("(deployment %s) shifted %g%% of production traffic to the new service revision.", aws.ToString(f.primary().Id), f.traffic.Weight)
}

// rollBackProgressive returns all traffic to the old revision at once (it
// still runs) and rolls the deployment back; the next look completes it.
func (f *Fake) rollBackProgressive(reason string) {
	f.traffic.Weight, f.traffic.TestWeight = 0, 0
	f.prog.paused = false
	f.rollBack("", reason)
}

// expireHooks takes the timeout action of a hook whose time ran out, on any
// request: ECS does it whoever looks.
func (f *Fake) expireHooks() {
	p := f.prog
	if p == nil || !p.paused {
		return
	}
	h := awaiting(f.sds[p.arn], "")
	if h == nil || f.now().Before(aws.ToTime(h.ExpiresAt)) {
		return
	}
	h.Status = types.DeploymentLifecycleHookStatusTimedOut
	p.paused = false
	if h.TimeoutAction == types.DeploymentLifecycleHookActionRollback {
		f.rollBackProgressive("Service deployment rolled back because the lifecycle hook timed out.")
		return
	}
	p.continued = true
}

// continueDeployment is ContinueServiceDeployment: it acts only on a
// deployment IN_PROGRESS that waits at the hook named.
func (f *Fake) continueDeployment(body []byte) (*ecs.ContinueServiceDeploymentOutput, error) {
	var in ecs.ContinueServiceDeploymentInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, apiError("SerializationException", "%v", err)
	}
	sd := f.sds[aws.ToString(in.ServiceDeploymentArn)]
	if sd == nil {
		return nil, apiError("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
	}
	if sd.Status != types.ServiceDeploymentStatusInProgress {
		return nil, apiError("ConflictException", "The service deployment is %s, not IN_PROGRESS.", sd.Status)
	}
	p := f.prog
	h := awaiting(sd, aws.ToString(in.HookId))
	if p == nil || !p.paused || h == nil {
		return nil, apiError("InvalidParameterException", "No lifecycle hook %s is awaiting action on this service deployment.", aws.ToString(in.HookId))
	}
	action := in.Action
	if action == "" {
		action = types.DeploymentLifecycleHookActionContinue
	}
	f.continues = append(f.continues, Continue{Action: string(action), HookID: aws.ToString(h.HookId), Stage: sd.LifecycleStage})
	p.paused = false
	if action == types.DeploymentLifecycleHookActionRollback {
		h.Status = types.DeploymentLifecycleHookStatusFailed
		f.rollBackProgressive("Service deployment rolled back because of a ContinueServiceDeployment ROLLBACK request.")
	} else {
		h.Status = types.DeploymentLifecycleHookStatusSucceeded
		p.continued = true
	}
	return &ecs.ContinueServiceDeploymentOutput{ServiceDeploymentArn: sd.ServiceDeploymentArn}, nil
}

// awaiting is the deployment's hook awaiting action (the one named id, if
// id is set), nil if none.
func awaiting(sd *types.ServiceDeployment, id string) *types.DeploymentLifecycleHookDetail {
	for i := range sd.LifecycleHookDetails {
		h := &sd.LifecycleHookDetails[i]
		if h.Status == types.DeploymentLifecycleHookStatusAwaitingAction && (id == "" || aws.ToString(h.HookId) == id) {
			return h
		}
	}
	return nil
}
