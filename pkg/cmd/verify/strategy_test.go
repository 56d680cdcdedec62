package verify

import (
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/rollout"
	"github.com/empctl/empctl/pkg/trafficmix/apitest"
	"github.com/empctl/empctl/server"
)

// --strategy and its flags reach the rollouts' and the rollback's deploy
// options with a gate, over the environment's defaults; the weights the
// rollouts report are in the report; a bad value is a usage error before
// anything runs.
func TestTheStrategyReachesEveryRolloutWithAGate(t *testing.T) {
	state := func(w float64, stage rollout.Stage) *rollout.State {
		return &rollout.State{Strategy: rollout.Canary, Stage: stage, Weight: w}
	}
	now := time.Now()
	fake := &envtest.Fake{EnvName: "local", EndpointURL: apitest.Server(t, server.Deps{}),
		Rollout: env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Strategy: rollout.Canary,
			Verdicts: []rollout.Verdict{{Promote: true, Stage: rollout.StageTestTraffic, Reason: "150 test requests, 0 failed"}}},
		Events: []env.Event{
			{Time: now, Message: "test traffic", Rollout: state(0, rollout.StageTestTraffic)},
			{Time: now.Add(time.Millisecond), Message: "canary", Rollout: state(20, rollout.StageProductionShift)},
			{Time: now.Add(2 * time.Millisecond), Message: "bake", Rollout: state(100, rollout.StageBake)},
		}}
	r := runCmd(t, fake, nil, "--strategy", "canary", "--canary-percent", "20", "--rollback", "--rate", "20", "--warmup", "100ms", "--cooldown", "200ms")
	if r.rep == nil {
		t.Fatalf("no report: %v", r.err)
	}
	for _, m := range []string{"DeployBackend", "Rollback"} {
		arg, ok := fake.Called(m)
		if !ok {
			t.Fatalf("%s was not called", m)
		}
		opts, _ := arg.(env.DeployOptions)
		if ro, isRollback := arg.(env.RollbackOptions); isRollback {
			opts = ro.DeployOptions
		}
		s := opts.Strategy
		if s.Strategy != rollout.Canary || s.CanaryPercent != 20 || s.CanaryBake != rollout.Defaults(true).CanaryBake || opts.Gate == nil {
			t.Fatalf("%s got strategy %+v, gate %v: want canary 20 %% with the local bakes and a gate", m, s, opts.Gate)
		}
	}
	if len(r.rep.Weights) != 6 || r.rep.Weights[1].Weight != 20 { // 3 points each for the rollout and the rollback
		t.Fatalf("weights %+v, want the rollout's and the rollback's 0, 20, 100", r.rep.Weights)
	}
	if !containsAll(r.out, "rollout (canary)", "gate at test-traffic: promote") {
		t.Fatalf("the text report lacks the strategy or the gate's verdict:\n%s", r.out)
	}

	bad := &envtest.Fake{EnvName: "local"}
	if r := runCmd(t, bad, nil, "--strategy", "linear", "--step-percent", "1"); cmdutil.ExitCode(r.err) != cmdutil.ExitUsage {
		t.Fatalf("--step-percent 1: %v, want a usage error", r.err)
	}
	if _, built := bad.Called("BuildBackend"); built {
		t.Fatal("built before the strategy was checked")
	}
}
