package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
	"github.com/empctl/empctl/pkg/rollout"
	"github.com/empctl/empctl/pkg/testenv"
)

// These tests drive progressive rollouts with ECS played by the fake (no
// emulator has blue/green, canary or linear deployments, lifecycle hooks or
// ContinueServiceDeployment) and the load balancer's listener rules and
// CloudWatch metrics by moto, where the test puts the ALB metrics the fake's
// traffic would produce. The gate is a scripted stand-in for the
// rollout.Gate contract: pkg/gate's own tests run the real one against real
// servers; here what matters is what the rollout does with its verdicts.

const testHeader = "X-Empctl-Test"

// scriptedGate decides as its test's functions say; by default the test
// promotes and a watch fails as soon as the new target group shows a 5xx in
// CloudWatch.
type scriptedGate struct {
	test   func(ctx context.Context, route rollout.TestRoute) (rollout.Verdict, error)
	watch  func(ctx context.Context, step int, d time.Duration) (rollout.Verdict, error)
	mu     sync.Mutex
	routes []rollout.TestRoute
	steps  []int
	bakes  []time.Duration
}

func (g *scriptedGate) Test(ctx context.Context, route rollout.TestRoute, _ func(string)) (rollout.Verdict, error) {
	g.mu.Lock()
	g.routes = append(g.routes, route)
	g.mu.Unlock()
	if g.test != nil {
		return g.test(ctx, route)
	}
	return rollout.Verdict{Promote: true, Stage: rollout.StageTestTraffic, Reason: "300 requests, 0 failed, 40 writes all found"}, nil
}

func (g *scriptedGate) Watch(ctx context.Context, _ string, traffic rollout.Traffic, step int, d time.Duration, _ func(string)) (rollout.Verdict, error) {
	g.mu.Lock()
	g.steps, g.bakes = append(g.steps, step), append(g.bakes, d)
	g.mu.Unlock()
	if g.watch != nil {
		return g.watch(ctx, step, d)
	}
	old, new, err := traffic.Counts(ctx)
	v := rollout.Verdict{Stage: rollout.StageProductionShift, Step: step, Old: &old, New: &new, Promote: err == nil && new.Errors == 0}
	v.Reason = fmt.Sprintf("step %d: new %d/%d failed, old %d/%d", step, new.Errors, new.Requests, old.Errors, old.Requests)
	return v, err
}

// progressiveEnv is one service on the ECS fake, steady on revision 1 with
// revision 2 to deploy, behind an ALB in moto with the plumbing Terraform
// makes for progressive delivery.
type progressiveEnv struct {
	f        *ecsfake.Fake
	c        Clients
	svc      Service
	plumbing Plumbing
	td1, td2 string
	events   []Event
	mu       sync.Mutex
}

func newProgressiveEnv(t *testing.T, endpoint string, cfg aws.Config, name string) *progressiveEnv {
	t.Helper()
	ctx := t.Context()
	lbc := elb.NewFromConfig(cfg)
	subnets, vpc := motoSubnets(t, endpoint)
	lb, err := lbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: subnets[:2], Type: elbtypes.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatal(err)
	}
	var tgs []string
	for _, color := range []string{"blue", "green"} {
		tg, err := lbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name + "-" + color), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp, VpcId: aws.String(vpc)})
		if err != nil {
			t.Fatal(err)
		}
		tgs = append(tgs, aws.ToString(tg.TargetGroups[0].TargetGroupArn))
	}
	l, err := lbc.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumHttp,
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgs[0])}}})
	if err != nil {
		t.Fatal(err)
	}
	forward := func(weights ...int32) []elbtypes.Action {
		var tt []elbtypes.TargetGroupTuple
		for i, w := range weights {
			tt = append(tt, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(tgs[i]), Weight: aws.Int32(w)})
		}
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: tt}}}
	}
	prod, err := lbc.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.Listeners[0].ListenerArn, Priority: aws.Int32(10), Actions: forward(100, 0),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/*"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	test, err := lbc.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.Listeners[0].ListenerArn, Priority: aws.Int32(5), Actions: forward(0, 100),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("http-header"), HttpHeaderConfig: &elbtypes.HttpHeaderConditionConfig{HttpHeaderName: aws.String(testHeader), Values: []string{"s3cr3t-" + name}}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := ecsfake.New(t, true)
	// moto answers CloudWatch's query protocol, not the CBOR the SDK speaks
	// by default; AWS answers both.
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801) })
	e := &progressiveEnv{f: f, c: Clients{ECS: f.Client(), ELB: lbc, CW: cw},
		svc: Service{Cluster: ecsfake.Cluster, Name: ecsfake.Service, Container: "api", Family: ecsfake.Family, TargetGroupARN: tgs[0]},
		plumbing: Plumbing{AlternateTargetGroupARN: tgs[1], ProductionRuleARN: aws.ToString(prod.Rules[0].RuleArn), TestRuleARN: aws.ToString(test.Rules[0].RuleArn),
			RoleARN: "arn:aws:iam::123456789012:role/" + name + "-ecs-load-balancers", TestHeaderName: testHeader}}
	e.td1 = f.AddTaskDefinition(1, "repo@sha256:"+strings.Repeat("1", 64), "v1")
	e.td2 = f.AddTaskDefinition(2, "repo@sha256:"+strings.Repeat("2", 64), "v2")
	f.SetService(e.td1, 3)
	f.SetLoadBalancer(tgs[0])
	f.TickPerLook(time.Minute) // bakes of minutes pass in a few looks
	return e
}

func (e *progressiveEnv) opts() WatchOptions {
	return WatchOptions{PollInterval: time.Millisecond, Timeout: time.Hour, Progress: func(ev Event) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.events = append(e.events, ev)
	}}
}

func (e *progressiveEnv) deploy(ctx context.Context, cfg rollout.Config, g rollout.Gate) (Result, error) {
	return DeployProgressive(ctx, e.c, e.svc, e.td2, ProgressiveOptions{Config: cfg, Gate: g, Plumbing: e.plumbing, Endpoint: "https://d111.cloudfront.net"}, e.opts())
}

func (e *progressiveEnv) log(t *testing.T) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		t.Logf("%s %s", ev.Kind, ev.Message)
	}
}

// putALBMetrics puts one minute of a target group's ALB metrics, as
// CloudWatch would publish them for the load balancer.
func (e *progressiveEnv) putALBMetrics(t *testing.T, tg string, requests, target5xx float64) {
	t.Helper()
	dims := []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String(tgDimension(tg))}, {Name: aws.String("LoadBalancer"), Value: aws.String(lbDimension(e.plumbing.ProductionRuleARN))}}
	now := time.Now()
	var data []cwtypes.MetricDatum
	for m, v := range map[string]float64{"RequestCount": requests, "HTTPCode_Target_5XX_Count": target5xx} {
		data = append(data, cwtypes.MetricDatum{MetricName: aws.String(m), Dimensions: dims, Value: aws.Float64(v), Timestamp: &now, Unit: cwtypes.StandardUnitCount})
	}
	if _, err := e.c.CW.(*cloudwatch.Client).PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/ApplicationELB"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
}

func canary() rollout.Config {
	c := rollout.Defaults(false)
	c.Strategy, c.CanaryBake, c.Bake = rollout.Canary, 5*time.Second, 3*time.Minute
	return c
}

func TestProgressive(t *testing.T) {
	endpoint := testenv.MotoEnv(t)
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	env := func(t *testing.T) *progressiveEnv {
		n++
		return newProgressiveEnv(t, endpoint, cfg, fmt.Sprintf("prog%d", n))
	}
	t.Run("CanaryPromotedThroughItsOwnHook", func(t *testing.T) { testCanaryPromoted(t, env(t)) })
	t.Run("FailingTestGateRollsBack", func(t *testing.T) { testFailingTestGate(t, env(t)) })
	t.Run("FailingCanaryWatchRollsBack", func(t *testing.T) { testFailingCanaryWatch(t, env(t)) })
	t.Run("TimedOutHookRollsBack", func(t *testing.T) { testTimedOutHook(t, env(t)) })
	t.Run("CtrlCAtTheGateRollsBack", func(t *testing.T) { testCtrlCAtTheGate(t, env(t)) })
	t.Run("RollbackDuringTheBake", func(t *testing.T) { testRollbackDuringTheBake(t, env(t)) })
	t.Run("LinearWatchesEveryStep", func(t *testing.T) { testLinear(t, env(t)) })
	t.Run("CtrlCBetweenGatesRollsBack", func(t *testing.T) { testCtrlCBetweenGates(t, env(t)) })
	t.Run("RollbackAtThePausedHook", func(t *testing.T) { testRollbackAtTheHook(t, env(t)) })
	t.Run("RollbackThroughTheStrategy", func(t *testing.T) { testRollbackThroughTheStrategy(t, env(t)) })
	t.Run("TargetGroupsSwapEachDeployment", func(t *testing.T) { testTargetGroupsSwap(t, env(t)) })
	t.Run("FailingBakeRollsBackAtTheHook", func(t *testing.T) { testFailingBake(t, env(t)) })
	t.Run("CtrlCDuringTheBakeRollsBack", func(t *testing.T) { testCtrlCDuringTheBake(t, env(t)) })
	t.Run("DeathInTheCanaryStepRollsBackAtTheBakeHook", func(t *testing.T) { testDeathAfterTheTestGate(t, env(t), 1) })
	t.Run("DeathInTheBakeRollsBackAtTheBakeHook", func(t *testing.T) { testDeathAfterTheTestGate(t, env(t), 2) })
}

func testCanaryPromoted(t *testing.T, e *progressiveEnv) {
	var paused, baking ServiceStatus
	g := &scriptedGate{watch: func(ctx context.Context, step int, _ time.Duration) (rollout.Verdict, error) {
		if step == 2 { // the final bake: ECS waits at the bake hook
			st, err := Status(ctx, e.c, e.svc, 0)
			if err != nil {
				return rollout.Verdict{}, err
			}
			baking = st
		}
		return rollout.Verdict{Promote: true, Step: step, Reason: "0 failed"}, nil
	}}
	g.test = func(ctx context.Context, route rollout.TestRoute) (rollout.Verdict, error) {
		// While the gate runs the deployment waits at its hook: status shows
		// it, and ECS refuses to act on any other hook.
		st, err := Status(ctx, e.c, e.svc, 0)
		if err != nil {
			return rollout.Verdict{}, err
		}
		paused = st
		if _, err := e.c.ECS.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
			ServiceDeploymentArn: aws.String(st.Deployment.ARN), HookId: aws.String("hook-not-this-one"),
		}); err == nil {
			t.Error("ContinueServiceDeployment with another hookId was accepted")
		}
		return rollout.Verdict{Promote: true, Reason: "0 failed"}, nil
	}
	res, err := e.deploy(t.Context(), canary(), g)
	if err != nil || res.Outcome != Completed {
		e.log(t)
		t.Fatalf("DeployProgressive = %+v, %v; want completed", res, err)
	}
	got := e.f.Continues()
	if len(got) != 2 || got[0].Action != "CONTINUE" || got[0].Stage != types.ServiceDeploymentLifecycleStagePostTestTrafficShift ||
		got[1].Action != "CONTINUE" || got[1].Stage != types.ServiceDeploymentLifecycleStagePostProductionTrafficShift || got[0].HookID == got[1].HookID {
		t.Errorf("ContinueServiceDeployment requests %+v, want CONTINUE at the test hook then at the bake hook, each with its own hookId", got)
	}
	if e.f.Baked() != 0 {
		t.Errorf("ECS baked %s by itself: the final bake is empctl's, at the hook", e.f.Baked())
	}
	if len(g.routes) != 1 || g.routes[0].BaseURL != "https://d111.cloudfront.net" || g.routes[0].Header.Get(testHeader) != "s3cr3t-prog1" {
		t.Errorf("test routes %+v, want the CloudFront domain with the test rule's header value", g.routes)
	}
	if !slices.Equal(g.steps, []int{1, 2}) || !slices.Equal(g.bakes, []time.Duration{time.Minute, 3 * time.Minute}) {
		t.Errorf("watched steps %v with bakes %v, want 1 and 2 for 1m (5s rounded up to ECS's minutes) and 3m", g.steps, g.bakes)
	}
	if tr := e.f.Traffic(); tr.Weight != 100 || tr.MaxWeight != 100 {
		t.Errorf("traffic %+v, want all on the new revision", tr)
	}
	if len(res.Verdicts) != 3 || res.Verdicts[0].Stage != rollout.StageTestTraffic || res.Verdicts[1].Stage != rollout.StageProductionShift ||
		res.Verdicts[2].Stage != rollout.StageBake || res.Stage != rollout.StageBake {
		t.Errorf("verdicts %+v deciding stage %s, want test, step 1 and the bake's", res.Verdicts, res.Stage)
	}
	p := paused.Progressive
	if p == nil || p.Stage != rollout.StageTestTraffic || p.Strategy != rollout.Canary || !strings.Contains(p.Hook, "AWAITING_ACTION at POST_TEST_TRAFFIC_SHIFT") || !paused.Deploying() {
		t.Errorf("status during the test gate: %+v, want canary paused at the test stage's hook", p)
	}
	if b := baking.Progressive; b == nil || b.Stage != rollout.StageBake || b.Weight != 100 || !strings.Contains(b.Hook, "AWAITING_ACTION at POST_PRODUCTION_TRAFFIC_SHIFT") ||
		!strings.Contains(b.Hook, "ROLLBACK on its own in") || !time.Now().Before(b.BakeEnds) || !baking.Deploying() {
		t.Errorf("status during the final bake: %+v, want the bake, all traffic on the new revision, paused at the bake hook with its end and the hook's expiry", b)
	}
	sd, err := newWatcher(e.c, e.svc, WatchOptions{}).serviceDeployment(t.Context(), res.Deployment)
	if err != nil {
		t.Fatal(err)
	}
	dc := sd.DeploymentConfiguration
	if dc.Strategy != types.DeploymentStrategyCanary || aws.ToInt32(dc.CanaryConfiguration.CanaryBakeTimeInMinutes) != 1 || aws.ToInt32(dc.BakeTimeInMinutes) != 0 {
		t.Errorf("deployment configuration %+v, want the canary's bake of 1 minute and none of ECS's own at the end", dc)
	}
	if test, bake := hookMinutes(dc, testStage), hookMinutes(dc, bakeStage); test != 30 || bake != 33 || len(dc.LifecycleHooks) != 2 {
		t.Errorf("hooks %+v: timeouts %d and %d minutes, want the test hook's 30 and the bake hook's 3+30", dc.LifecycleHooks, test, bake)
	}
	for _, h := range dc.LifecycleHooks {
		if h.TargetType != types.DeploymentLifecycleHookTargetTypePause || h.TimeoutConfiguration.Action != types.DeploymentLifecycleHookActionRollback {
			t.Errorf("hook %+v, want a PAUSE hook that rolls back when it times out", h)
		}
	}
	var sawHook, sawWeight, sawBake bool
	for _, ev := range e.events {
		if ev.Rollout != nil && strings.Contains(ev.Rollout.Hook, "AWAITING_ACTION") {
			sawHook = true
		}
		if ev.Rollout != nil && ev.Rollout.Stage == rollout.StageProductionShift && ev.Rollout.Weight == 10 {
			sawWeight = true
		}
		if ev.Rollout != nil && ev.Rollout.Stage == rollout.StageBake && ev.Rollout.Weight == 100 && !ev.Rollout.BakeEnds.IsZero() {
			sawBake = true
		}
	}
	if !sawHook || !sawWeight || !sawBake {
		e.log(t)
		t.Errorf("progress events: hook awaiting action %v, canary step at 10 %% %v, bake with its end %v", sawHook, sawWeight, sawBake)
	}
}

func testFailingTestGate(t *testing.T, e *progressiveEnv) {
	g := &scriptedGate{test: func(context.Context, rollout.TestRoute) (rollout.Verdict, error) {
		return rollout.Verdict{Reason: "POST /api/signup: 500 (2 of 300 failed)"}, nil
	}}
	res, err := e.deploy(t.Context(), canary(), g)
	if !errors.Is(err, ErrRolloutFailed) || res.Outcome != RolledBack || res.RolledBackTo != 1 || res.Stage != rollout.StageTestTraffic {
		e.log(t)
		t.Fatalf("DeployProgressive = %+v, %v; want rolled back to 1 at the test stage", res, err)
	}
	if !strings.Contains(err.Error(), "decided at test-traffic: POST /api/signup: 500") {
		t.Errorf("error %q does not say which stage decided and why", err)
	}
	if got := e.f.ContinueRequests(); !slices.Equal(got, []string{"ROLLBACK"}) {
		t.Errorf("ContinueServiceDeployment actions %v, want ROLLBACK", got)
	}
	if tr := e.f.Traffic(); tr.MaxWeight != 0 || len(g.steps) != 0 {
		t.Errorf("traffic %+v, watched %v: the new revision must never take production traffic", tr, g.steps)
	}
}

func testFailingCanaryWatch(t *testing.T, e *progressiveEnv) {
	e.putALBMetrics(t, e.svc.TargetGroupARN, 900, 0)
	e.putALBMetrics(t, e.plumbing.AlternateTargetGroupARN, 100, 7)
	res, err := e.deploy(t.Context(), canary(), &scriptedGate{})
	if !errors.Is(err, ErrRolloutFailed) || res.Outcome != RolledBack || res.Stage != rollout.StageProductionShift {
		e.log(t)
		t.Fatalf("DeployProgressive = %+v, %v; want rolled back in the canary step", res, err)
	}
	if tr := e.f.Traffic(); tr.MaxWeight != 10 || tr.Weight != 0 {
		t.Errorf("traffic %+v, want at most the canary's 10 %% on the new revision, none after", tr)
	}
	if e.f.StopRequested() != "ROLLBACK" {
		t.Errorf("stop %q, want StopServiceDeployment ROLLBACK", e.f.StopRequested())
	}
	v := res.Verdicts[len(res.Verdicts)-1]
	if v.New == nil || *v.New != (rollout.Counts{Requests: 100, Errors: 7}) || *v.Old != (rollout.Counts{Requests: 900}) {
		t.Errorf("verdict %+v: want CloudWatch's counts per target group", v)
	}
}

func testTimedOutHook(t *testing.T, e *progressiveEnv) {
	// empctl stalls at the gate past the hook's timeout: ECS takes the
	// timeout action, ROLLBACK, and refuses the late CONTINUE.
	g := &scriptedGate{test: func(context.Context, rollout.TestRoute) (rollout.Verdict, error) {
		e.f.Advance(31 * time.Minute)
		return rollout.Verdict{Promote: true, Reason: "too late"}, nil
	}}
	res, err := e.deploy(t.Context(), canary(), g)
	if !errors.Is(err, ErrRolloutFailed) || res.Outcome != RolledBack || !strings.Contains(res.Reason, "lifecycle hook timed out") {
		e.log(t)
		t.Fatalf("DeployProgressive = %+v, %v; want rolled back by the hook's timeout", res, err)
	}
	if got := e.f.ContinueRequests(); len(got) != 0 {
		t.Errorf("ContinueServiceDeployment accepted %v after the hook timed out", got)
	}
	if tr := e.f.Traffic(); tr.MaxWeight != 0 {
		t.Errorf("traffic %+v: a timed-out test hook shifted production traffic", tr)
	}
}

func testCtrlCAtTheGate(t *testing.T, e *progressiveEnv) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	g := &scriptedGate{test: func(ctx context.Context, _ rollout.TestRoute) (rollout.Verdict, error) {
		cancel()
		<-ctx.Done()
		return rollout.Verdict{Reason: "interrupted"}, ctx.Err()
	}}
	_, err := e.deploy(ctx, canary(), g)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted at test-traffic: rolled back") {
		e.log(t)
		t.Fatalf("err = %v, want an interruption that says it rolled back", err)
	}
	if got := e.f.ContinueRequests(); !slices.Equal(got, []string{"ROLLBACK"}) {
		t.Errorf("ContinueServiceDeployment actions %v, want ROLLBACK", got)
	}
}

func testRollbackDuringTheBake(t *testing.T, e *progressiveEnv) {
	e.f.TickPerLook(0) // the bake lasts until the rollback
	c := rollout.Defaults(false)
	c.Strategy, c.Bake = rollout.BlueGreen, 10*time.Minute
	var rb Result
	var rbErr error
	var baking *rollout.State
	g := &scriptedGate{watch: func(ctx context.Context, step int, _ time.Duration) (rollout.Verdict, error) {
		// Another empctl: status until the bake shows, then rollback.
		for baking == nil || baking.Stage != rollout.StageBake || baking.BakeEnds.IsZero() {
			st, err := Status(ctx, e.c, e.svc, 0)
			if err != nil {
				return rollout.Verdict{}, err
			}
			baking = st.Progressive
		}
		rb, rbErr = Rollback(ctx, e.c, e.svc, 0, e.opts())
		return rollout.Verdict{Promote: true, Step: step, Reason: "fine"}, nil
	}}
	res, err := e.deploy(t.Context(), c, g)
	if rbErr != nil || rb.Outcome != Completed || rb.RolledBackTo != 1 {
		e.log(t)
		t.Fatalf("Rollback during the bake = %+v, %v; want revision 1 back", rb, rbErr)
	}
	if time.Until(baking.BakeEnds) <= 0 || baking.Weight != 100 {
		t.Errorf("status during the bake %+v, want its end ahead and all traffic on the new revision", baking)
	}
	if !errors.Is(err, ErrRolloutFailed) || res.Outcome != RolledBack {
		t.Errorf("the deploy = %+v, %v; want it rolled back", res, err)
	}
	got := e.f.Continues()
	if tr := e.f.Traffic(); tr.Weight != 0 || tr.MaxWeight != 100 || e.f.StopRequested() != "" || len(got) != 2 || got[1].Action != "ROLLBACK" ||
		got[1].Stage != types.ServiceDeploymentLifecycleStagePostProductionTrafficShift {
		t.Errorf("traffic %+v stop %q continues %+v: want ContinueServiceDeployment ROLLBACK at the bake hook returning all traffic", tr, e.f.StopRequested(), got)
	}
}

func testLinear(t *testing.T, e *progressiveEnv) {
	c := rollout.Defaults(false)
	c.Strategy, c.StepPercent, c.StepBake, c.Bake = rollout.Linear, 25, time.Minute, 0
	res, err := e.deploy(t.Context(), c, &scriptedGate{})
	if err != nil || res.Outcome != Completed {
		e.log(t)
		t.Fatalf("DeployProgressive = %+v, %v", res, err)
	}
	if len(res.Verdicts) != 5 {
		t.Errorf("verdicts %+v, want the test and 4 steps", res.Verdicts)
	}
}

func TestProgressiveNeedsThePlumbing(t *testing.T) {
	f := ecsfake.New(t, true)
	_, err := DeployProgressive(t.Context(), Clients{ECS: f.Client()}, Service{}, "td", ProgressiveOptions{Config: canary()}, WatchOptions{})
	if !errors.Is(err, ErrNoPlumbing) || !strings.Contains(err.Error(), "progressive_delivery = true") {
		t.Errorf("err = %v, want one saying to set progressive_delivery and provision", err)
	}
}

func TestECSMinutes(t *testing.T) {
	for d, want := range map[time.Duration]int32{0: 0, 5 * time.Second: 1, time.Minute: 1, 61 * time.Second: 2, 1440 * time.Minute: 1440} {
		if got := ecsMinutes(d); got != want {
			t.Errorf("ecsMinutes(%s) = %d, want %d", d, got, want)
		}
	}
}

func testRollbackAtTheHook(t *testing.T, e *progressiveEnv) {
	var rb Result
	var rbErr error
	g := &scriptedGate{test: func(ctx context.Context, _ rollout.TestRoute) (rollout.Verdict, error) {
		rb, rbErr = Rollback(ctx, e.c, e.svc, 0, e.opts()) // another empctl, while this one's gate runs
		return rollout.Verdict{Promote: true, Reason: "fine, but too late"}, nil
	}}
	res, err := e.deploy(t.Context(), canary(), g)
	if rbErr != nil || rb.Outcome != Completed || rb.RolledBackTo != 1 {
		e.log(t)
		t.Fatalf("Rollback at the hook = %+v, %v; want revision 1 back", rb, rbErr)
	}
	if got := e.f.ContinueRequests(); !slices.Equal(got, []string{"ROLLBACK"}) {
		t.Errorf("ContinueServiceDeployment actions %v, want the rollback's ROLLBACK only (the late CONTINUE refused)", got)
	}
	if !errors.Is(err, ErrRolloutFailed) || res.Outcome != RolledBack || e.f.Traffic().MaxWeight != 0 {
		t.Errorf("the deploy = %+v, %v, traffic %+v; want it rolled back before any production traffic", res, err, e.f.Traffic())
	}
}

// ECS swaps the target groups' roles at each deployment; the production
// rule's weights say which one serves.
func testTargetGroupsSwap(t *testing.T, e *progressiveEnv) {
	ctx := t.Context()
	blue, green := e.svc.TargetGroupARN, e.plumbing.AlternateTargetGroupARN
	old, new, err := liveTargetGroups(ctx, e.c, e.svc, e.plumbing)
	if err != nil || old != blue || new != green {
		t.Fatalf("before: old %s new %s (%v), want blue then green", old, new, err)
	}
	if _, err := e.c.ELB.(*elb.Client).ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: aws.String(e.plumbing.ProductionRuleARN), Actions: []elbtypes.Action{{
		Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(blue), Weight: aws.Int32(0)}, {TargetGroupArn: aws.String(green), Weight: aws.Int32(100)}}},
	}}}); err != nil {
		t.Fatal(err)
	}
	old, new, err = liveTargetGroups(ctx, e.c, e.svc, e.plumbing)
	if err != nil || old != green || new != blue {
		t.Errorf("after a deployment to green: old %s new %s (%v), want green then blue", old, new, err)
	}
}

func testCtrlCBetweenGates(t *testing.T, e *progressiveEnv) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opts := e.opts()
	record := opts.Progress
	opts.Progress = func(ev Event) {
		record(ev)
		if ev.Rollout != nil && ev.Rollout.Stage == rollout.StageScaleUp {
			cancel() // Ctrl-C while the new tasks start
		}
	}
	_, err := DeployProgressive(ctx, e.c, e.svc, e.td2, ProgressiveOptions{Config: canary(), Gate: &scriptedGate{}, Plumbing: e.plumbing, Endpoint: "https://d111.cloudfront.net"}, opts)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted: rolled back") {
		e.log(t)
		t.Fatalf("err = %v, want an interruption that says it rolled back", err)
	}
	if e.f.StopRequested() != "ROLLBACK" || e.f.Traffic().MaxWeight != 0 {
		t.Errorf("stop %q traffic %+v: want StopServiceDeployment ROLLBACK before any production traffic", e.f.StopRequested(), e.f.Traffic())
	}
}

func testRollbackThroughTheStrategy(t *testing.T, e *progressiveEnv) {
	if _, err := e.deploy(t.Context(), canary(), &scriptedGate{}); err != nil {
		t.Fatal(err)
	}
	g := &scriptedGate{}
	p := ProgressiveOptions{Config: canary(), Gate: g, Plumbing: e.plumbing, Endpoint: "https://d111.cloudfront.net"}
	res, err := RollbackWith(t.Context(), e.c, e.svc, 1, e.opts(), &p)
	if err != nil || res.Outcome != Completed || res.To != e.td1 {
		e.log(t)
		t.Fatalf("RollbackWith = %+v, %v; want revision 1 back through the canary", res, err)
	}
	if got := e.f.ContinueRequests(); !slices.Equal(got, []string{"CONTINUE", "CONTINUE", "CONTINUE", "CONTINUE"}) || len(g.routes) != 1 {
		t.Errorf("continues %v, gate tests %d: want the rollback gated like the deploy", got, len(g.routes))
	}
	if tr := e.f.Traffic(); tr.NewTargetGroup != e.svc.TargetGroupARN {
		t.Errorf("traffic %+v: the rollback's revision goes to the group the deploy left (blue)", tr)
	}
}
