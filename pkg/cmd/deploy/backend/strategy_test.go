package backend

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/rollout"
)

// scriptedGate is a gate written for tests that answers without a look:
// the command's tests are about which gate it builds, not what it decides.
type scriptedGate struct{ cfg rollout.GateConfig }

func (scriptedGate) Test(context.Context, rollout.TestRoute, func(string)) (rollout.Verdict, error) {
	return rollout.Verdict{Promote: true}, nil
}

func (scriptedGate) Watch(context.Context, string, rollout.Traffic, int, time.Duration, func(string)) (rollout.Verdict, error) {
	return rollout.Verdict{Promote: true}, nil
}

func withGate(dir string) func(*cmdutil.Factory) *cobra.Command {
	return func(f *cmdutil.Factory) *cobra.Command {
		if dir != "" {
			f.Global.Dir = dir
		}
		return NewCmdBackend(f, func(o *Options) error {
			o.NewGate = func(_ context.Context, cfg rollout.GateConfig, _ env.Environment, _ io.Writer) (rollout.Gate, error) {
				return scriptedGate{cfg}, nil
			}
			return Run(context.Background(), o)
		})
	}
}

func TestStrategyFlagsReachTheEnvironment(t *testing.T) {
	fake := &envtest.Fake{Rollout: completed, EnvName: "local"}
	r := cmdtest.Run(t, withGate(""), fake, "--strategy", "canary", "--canary-percent", "20", "--max-error-rate", "0.01")
	if r.Code != 0 {
		t.Fatal(r.Err)
	}
	arg, _ := fake.Called("DeployBackend")
	got := arg.(env.DeployOptions)
	want := rollout.Defaults(true) // local: bakes of seconds
	want.Strategy, want.CanaryPercent, want.Gate.MaxErrorRate = rollout.Canary, 20, 0.01
	if got.Strategy != want || got.Gate != (scriptedGate{want.Gate}) {
		t.Fatalf("deploy options %+v, want strategy %+v and its gate", got, want)
	}
}

func TestStrategyDefaultsAndRangeErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empctl.yaml"), []byte("deploy:\n  strategy: linear\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &envtest.Fake{Rollout: completed, EnvName: "local"}
	if r := cmdtest.Run(t, withGate(dir), fake); r.Code != 0 {
		t.Fatal(r.Err)
	}
	arg, _ := fake.Called("DeployBackend")
	if got := arg.(env.DeployOptions).Strategy; got.Strategy != rollout.Linear || got.StepBake != rollout.Defaults(true).StepBake {
		t.Fatalf("empctl.yaml's strategy: %+v", got)
	}
	// Without a strategy anywhere, a rolling deploy as before: no gate.
	fake = &envtest.Fake{Rollout: completed}
	if r := cmdtest.Run(t, withGate(""), fake); r.Code != 0 {
		t.Fatal(r.Err)
	}
	if arg, _ := fake.Called("DeployBackend"); arg.(env.DeployOptions).Gate != nil || arg.(env.DeployOptions).Strategy.Strategy != "" {
		t.Fatalf("a rolling deploy got %+v", arg)
	}
	for _, tc := range []struct{ args, want string }{
		{"--strategy blue", "rolling, blue-green, canary, linear"},
		{"--strategy canary --canary-percent 0.01", "0.1 to 100"},
		{"--strategy linear --step-percent 2", "3 to 100"},
		{"--strategy blue-green --bake 25h", "0 to 1440 minutes"},
	} {
		r := cmdtest.Run(t, withGate(""), &envtest.Fake{Rollout: completed}, strings.Fields(tc.args)...)
		if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("%s: exit %d, %v; want exit 2 naming %q", tc.args, r.Code, r.Err, tc.want)
		}
	}
}

func TestResultSaysWhichStageDecided(t *testing.T) {
	ro := env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Strategy: rollout.Canary,
		Reason:   "rollout failed: rolled back at test-traffic: POST /api/users answered 500",
		Verdicts: []rollout.Verdict{{Stage: rollout.StageTestTraffic, Reason: "POST /api/users answered 500"}}}
	r := cmdtest.Run(t, withGate(""), &envtest.Fake{Rollout: ro, DeployErr: env.ErrRolloutFailed}, "--strategy", "canary")
	if r.Code != cmdutil.ExitVerdict || !strings.Contains(r.Out, "gate at test-traffic: roll back: POST /api/users answered 500") {
		t.Fatalf("exit %d:\n%s", r.Code, r.Out)
	}
}

// A dry run with --strategy names the strategy and its traffic shifts.
func TestStrategyDryRunNamesItsSteps(t *testing.T) {
	fake := &envtest.Fake{EnvName: "local", Release: env.Release{Version: "v2"},
		Plan: env.Plan{Env: "local", Action: env.ActionRollout, Version: "v2", Steps: []string{"start", "wait", "drain"}}}
	r := cmdtest.Run(t, withGate(""), fake, "--dry-run", "--strategy", "linear", "--step-percent", "50")
	if r.Code != 0 || !strings.Contains(r.Out, "Would deploy v2 to local as a linear rollout") ||
		!strings.Contains(r.Out, "move 50 % of production traffic") || !strings.Contains(r.Out, "move 100 % of production traffic") {
		t.Fatalf("dry run with --strategy linear: %v\n%s", r.Err, r.Out)
	}
}
