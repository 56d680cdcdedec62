package ecsdeploy

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/rollout"
)

// The final bake is empctl's, while ECS waits at the bake hook
// (POST_PRODUCTION_TRAFFIC_SHIFT): its verdict continues or rolls back that
// hook, and if empctl is gone the hook's timeout rolls back.

func testFailingBake(t *testing.T, e *progressiveEnv) {
	g := &scriptedGate{watch: func(_ context.Context, step int, _ time.Duration) (rollout.Verdict, error) {
		if step == 2 {
			return rollout.Verdict{Step: step, Reason: "new version 3 of 200 failed"}, nil
		}
		return rollout.Verdict{Promote: true, Step: step, Reason: "0 failed"}, nil
	}}
	res, err := e.deploy(t.Context(), canary(), g)
	if !errors.Is(err, ErrRolloutFailed) || res.Outcome != RolledBack || res.RolledBackTo != 1 || res.Stage != rollout.StageBake {
		e.log(t)
		t.Fatalf("DeployProgressive = %+v, %v; want rolled back to 1 in the bake", res, err)
	}
	wantRolledBackAtTheBakeHook(t, e)
}

func testCtrlCDuringTheBake(t *testing.T, e *progressiveEnv) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	g := &scriptedGate{watch: func(ctx context.Context, step int, _ time.Duration) (rollout.Verdict, error) {
		if step < 2 {
			return rollout.Verdict{Promote: true, Step: step, Reason: "0 failed"}, nil
		}
		cancel()
		<-ctx.Done()
		return rollout.Verdict{Step: step, Reason: "interrupted"}, ctx.Err()
	}}
	_, err := e.deploy(ctx, canary(), g)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted at bake: rolled back") {
		e.log(t)
		t.Fatalf("err = %v, want an interruption in the bake that says it rolled back", err)
	}
	wantRolledBackAtTheBakeHook(t, e)
}

// wantRolledBackAtTheBakeHook checks that the deployment was continued at
// the test hook, then rolled back through the bake hook (not stopped), all
// traffic back on the old revision.
func wantRolledBackAtTheBakeHook(t *testing.T, e *progressiveEnv) {
	t.Helper()
	got := e.f.Continues()
	if len(got) != 2 || got[0].Action != "CONTINUE" || got[1].Action != "ROLLBACK" || got[1].Stage != types.ServiceDeploymentLifecycleStagePostProductionTrafficShift || got[0].HookID == got[1].HookID {
		t.Errorf("ContinueServiceDeployment requests %+v, want CONTINUE at the test hook, then ROLLBACK with the bake hook's own id", got)
	}
	if tr := e.f.Traffic(); tr.Weight != 0 || e.f.StopRequested() != "" {
		t.Errorf("traffic %+v, stop %q: want all traffic back through the hook, no StopServiceDeployment", tr, e.f.StopRequested())
	}
}

// testDeathAfterTheTestGate kills empctl while the gate watches step
// (1: the canary step, ECS shifting by itself; 2: the final bake, ECS
// waiting at the bake hook): nothing reaches ECS any more, and ECS, left
// alone, reaches or sits at the bake hook until its timeout rolls back.
func testDeathAfterTheTestGate(t *testing.T, e *progressiveEnv, step int) {
	var dead atomic.Bool
	c := e.c
	c.ECS = ecs.New(e.f.Client().Options(), func(o *ecs.Options) { o.HTTPClient = mortal{dead: &dead, next: o.HTTPClient} })
	ctx, kill := context.WithCancel(t.Context())
	defer kill()
	var continues, stops int
	g := &scriptedGate{watch: func(ctx context.Context, s int, _ time.Duration) (rollout.Verdict, error) {
		if s < step {
			return rollout.Verdict{Promote: true, Step: s, Reason: "0 failed"}, nil
		}
		continues, stops = e.f.Calls("ContinueServiceDeployment"), e.f.Calls("StopServiceDeployment")
		dead.Store(true) // kill -9: the process, its requests and its rollback path are gone
		kill()
		<-ctx.Done()
		return rollout.Verdict{}, ctx.Err()
	}}
	if _, err := DeployProgressive(ctx, c, e.svc, e.td2, ProgressiveOptions{Config: canary(), Gate: g, Plumbing: e.plumbing, Endpoint: "https://d111.cloudfront.net"}, e.opts()); err == nil {
		t.Fatal("the killed deploy returned no error")
	}
	if e.f.Calls("ContinueServiceDeployment") != continues || e.f.Calls("StopServiceDeployment") != stops {
		t.Fatal("the killed deploy still reached ECS")
	}
	// ECS goes on by itself; each look is a minute on its clock.
	var st ServiceStatus
	for range 200 {
		var err error
		if st, err = Status(t.Context(), e.c, e.svc, 0); err != nil {
			t.Fatal(err)
		}
		if !st.Deploying() {
			break
		}
	}
	if st.Deployment == nil {
		t.Fatal("no service deployment")
	}
	sd, err := newWatcher(e.c, e.svc, WatchOptions{}).serviceDeployment(t.Context(), st.Deployment.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Status != types.ServiceDeploymentStatusRollbackSuccessful || sd.Rollback == nil || !strings.Contains(aws.ToString(sd.Rollback.Reason), "lifecycle hook timed out") {
		e.log(t)
		t.Fatalf("deployment after empctl died: %s (%+v), want ROLLBACK_SUCCESSFUL because the hook timed out", sd.Status, sd.Rollback)
	}
	if sd.LifecycleStage != types.ServiceDeploymentLifecycleStagePostProductionTrafficShift || len(sd.LifecycleHookDetails) != 1 ||
		sd.LifecycleHookDetails[0].Status != types.DeploymentLifecycleHookStatusTimedOut {
		t.Errorf("rolled back at %s with hooks %+v, want the bake hook TIMED_OUT", sd.LifecycleStage, sd.LifecycleHookDetails)
	}
	if tr := e.f.Traffic(); tr.Weight != 0 || st.TaskDefinition != e.td1 || e.f.Baked() != 0 {
		t.Errorf("traffic %+v, serving %s, ECS baked %s: want the old revision serving all traffic, never promoted", tr, st.TaskDefinition, e.f.Baked())
	}
}

// mortal is the HTTP client of a process that can die: once dead, no request
// leaves it.
type mortal struct {
	dead *atomic.Bool
	next ecs.HTTPClient
}

func (m mortal) Do(r *http.Request) (*http.Response, error) {
	if m.dead.Load() {
		return nil, errors.New("the process is dead")
	}
	return m.next.Do(r)
}

func TestDeploymentConfigurationHooks(t *testing.T) {
	for _, tc := range []struct {
		bake, margin time.Duration
		test, held   int32
	}{
		{5 * time.Second, 30 * time.Minute, 30, 31},
		{0, 30 * time.Minute, 30, 30},
		{1440 * time.Minute, 30 * time.Minute, 30, 1470},
		{90 * time.Second, 20 * time.Second, 1, 3},
		{1440 * time.Minute, 20160 * time.Minute, 20160, 20160}, // ECS's longest hook
	} {
		c := canary()
		c.Bake = tc.bake
		dc := deploymentConfiguration(c, tc.margin)
		if test, held := hookMinutes(dc, testStage), hookMinutes(dc, bakeStage); test != tc.test || held != tc.held || aws.ToInt32(dc.BakeTimeInMinutes) != 0 {
			t.Errorf("bake %s, margin %s: hooks of %d and %d minutes, ECS bake %d; want %d and %d, and 0",
				tc.bake, tc.margin, test, held, aws.ToInt32(dc.BakeTimeInMinutes), tc.test, tc.held)
		}
	}
}
