package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func newCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdBackend(f, nil) }

var completed = env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Revision: "api:7",
	Started: time.Unix(0, 0), Finished: time.Unix(42, 0)}

func TestExitCodes(t *testing.T) {
	failed := env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "rolled back to revision 6: circuit breaker tripped",
		Logs: []string{"task 1a2b: CannotPullContainerError"}}
	for _, tc := range []struct {
		name string
		fake *envtest.Fake
		args []string
		code int
		out  string
	}{
		{"completed", &envtest.Fake{Rollout: completed}, nil, cmdutil.ExitOK, "✓ v2 is serving (was v1)"},
		{"rolled back", &envtest.Fake{Rollout: failed, DeployErr: fmt.Errorf("%w: circuit breaker", env.ErrRolloutFailed)}, nil, cmdutil.ExitVerdict, "rolled back to revision 6"},
		{"build error", &envtest.Fake{BuildErr: errors.New("compile error")}, nil, cmdutil.ExitError, ""},
		{"AWS error", &envtest.Fake{DeployErr: errors.New("UpdateService: AccessDenied")}, nil, cmdutil.ExitError, ""},
		{"interrupted", &envtest.Fake{DeployErr: fmt.Errorf("watching the rollout: %w (the deployment continues in ECS)", context.Canceled)}, nil, cmdutil.ExitCancel, ""},
		{"not running", &envtest.Fake{StatusErr: env.ErrNotRunning}, nil, cmdutil.ExitError, ""},
		{"bad --set-env", &envtest.Fake{}, []string{"--set-env", "NOEQUALS"}, cmdutil.ExitUsage, ""},
		{"bad flag", &envtest.Fake{}, []string{"--timeout", "soon"}, cmdutil.ExitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cmdtest.Run(t, newCmd, tc.fake, tc.args...)
			if r.Code != tc.code {
				t.Fatalf("exit code %d, want %d (err %v)\n%s%s", r.Code, tc.code, r.Err, r.Out, r.ErrOut)
			}
			if !strings.Contains(r.Out, tc.out) {
				t.Fatalf("stdout lacks %q:\n%s", tc.out, r.Out)
			}
		})
	}
}

func TestWatchFlagsReachTheEnvironment(t *testing.T) {
	fake := &envtest.Fake{Rollout: completed}
	r := cmdtest.Run(t, newCmd, fake, "--timeout", "30m", "--poll-interval", "2s", "--no-rollback")
	if r.Code != 0 {
		t.Fatal(r.Err)
	}
	arg, _ := fake.Called("DeployBackend")
	got := arg.(env.DeployOptions)
	if got.Strategy.Strategy.Progressive() || got.Gate != nil {
		t.Errorf("strategy %+v gate %v, want rolling without a gate by default", got.Strategy, got.Gate)
	}
	got.Strategy = rollout.Config{}
	if got != (env.DeployOptions{Timeout: 30 * time.Minute, PollInterval: 2 * time.Second, NoRollback: true}) {
		t.Fatalf("deploy options %+v", got)
	}
}

func TestJSONOutputAndProgress(t *testing.T) {
	fake := &envtest.Fake{Rollout: completed, Events: []env.Event{{Kind: "deployment", Key: "d1", Message: "PRIMARY api:7 running 1/3"}}}
	r := cmdtest.Run(t, newCmd, fake, "-o", "json")
	var ro env.Rollout
	if err := json.Unmarshal([]byte(r.Out), &ro); err != nil || ro.Outcome != env.OutcomeCompleted || ro.Revision != "api:7" {
		t.Fatalf("stdout is not the rollout as JSON: %v\n%s", err, r.Out)
	}
	// Progress goes to stderr as JSON lines, so stdout stays one document.
	var ev env.Event
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.ErrOut[strings.Index(r.ErrOut, "{"):])), &ev); err != nil || ev.Key != "d1" {
		t.Fatalf("stderr progress is not JSON lines: %v\n%s", err, r.ErrOut)
	}
}

func TestDryRunPlansAndDeploysNothing(t *testing.T) {
	fake := &envtest.Fake{Release: env.Release{Version: "v2"}, Plan: env.Plan{Env: "prod", Version: "v2", Artifact: "repo:v2",
		Steps: []string{"push the image"}, Diff: "--- running\n+++ new\n-image a\n+image b\n"}}
	r := cmdtest.Run(t, newCmd, fake, "--dry-run")
	if r.Code != 0 || !strings.Contains(r.Out, "nothing was pushed or changed") || !strings.Contains(r.Out, "+image b") {
		t.Fatalf("dry run: %v\n%s", r.Err, r.Out)
	}
	if _, deployed := fake.Called("DeployBackend"); deployed {
		t.Fatal("a dry run deployed")
	}
}

// The running build: the dry run says there is nothing to deploy, and the
// deploy's JSON has outcome "unchanged" (never null); a deploy that fails
// before its rollout has outcome "failed".
func TestNothingToDeployHasAnOutcome(t *testing.T) {
	reason := fmt.Errorf("%w (v1): nothing to deploy; force a redeploy as a new version with --force", env.ErrSameBuild)
	fake := &envtest.Fake{Release: env.Release{Version: "v1"}, Plan: env.Plan{Env: "local", Action: env.ActionUnchanged, Reason: reason.Error(), Version: "v1"}}
	r := cmdtest.Run(t, newCmd, fake, "--dry-run")
	if r.Code != 0 || !strings.Contains(r.Out, "Would deploy nothing to local: "+reason.Error()) || strings.Contains(r.Out, "1.") {
		t.Fatalf("dry run of the running build: %v\n%s", r.Err, r.Out)
	}
	for _, tc := range []struct {
		err     error
		code    int
		outcome string
	}{
		{reason, cmdutil.ExitOK, env.OutcomeUnchanged},
		{errors.New("pushing: connection refused"), cmdutil.ExitError, env.OutcomeFailed},
	} {
		r := cmdtest.Run(t, newCmd, &envtest.Fake{Release: env.Release{Version: "v1"}, DeployErr: tc.err}, "-o", "json")
		var out struct {
			Outcome string `json:"outcome"`
			Reason  string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(r.Out), &out); err != nil || r.Code != tc.code || out.Outcome != tc.outcome || out.Reason != tc.err.Error() {
			t.Fatalf("%v: exit %d, %+v (%v); want exit %d, outcome %q\n%s", tc.err, r.Code, out, err, tc.code, tc.outcome, r.Out)
		}
	}
}
