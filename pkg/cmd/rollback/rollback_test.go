package rollback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

func newCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdRollback(f, nil) }

func TestRollback(t *testing.T) {
	fake := &envtest.Fake{Rollout: env.Rollout{Version: "v1", PreviousVersion: "v2", Outcome: env.OutcomeCompleted}}
	r := cmdtest.Run(t, newCmd, fake, "--to", "41")
	if r.Code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %v", r.Code, r.Err)
	}
	if arg, _ := fake.Called("Rollback"); arg.(env.RollbackOptions).To != "41" {
		t.Fatalf("rollback options %+v", arg)
	}

	fake = &envtest.Fake{Rollout: env.Rollout{Outcome: env.OutcomeFailed, Reason: "timed out"}, DeployErr: fmt.Errorf("%w: timed out", env.ErrRolloutFailed)}
	if r := cmdtest.Run(t, newCmd, fake); r.Code != cmdutil.ExitVerdict {
		t.Fatalf("a failed rollback: exit %d, want %d", r.Code, cmdutil.ExitVerdict)
	}
}

// Every exit code a rollback can end with: 0 and 3 above; 1 for an error
// (nothing to roll back to, AWS refusing), 2 for a usage mistake, 130 when
// Ctrl-C detached the watch.
func TestRollbackExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		fake *envtest.Fake
		args []string
		code int
	}{
		{"nothing to roll back to", &envtest.Fake{DeployErr: errors.New("no ACTIVE revision of api below api:3 served: name the revision to roll back to with --to")}, nil, cmdutil.ExitError},
		{"environment error", &envtest.Fake{DeployErr: env.ErrNotRunning}, nil, cmdutil.ExitError},
		{"unknown flag", &envtest.Fake{}, []string{"--revision", "41"}, cmdutil.ExitUsage},
		{"bad timeout", &envtest.Fake{}, []string{"--timeout", "soon"}, cmdutil.ExitUsage},
		{"interrupted", &envtest.Fake{DeployErr: fmt.Errorf("stopped watching; the deployment of service api continues in ECS (see it with status): %w", context.Canceled)}, nil, cmdutil.ExitCancel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cmdtest.Run(t, newCmd, tc.fake, tc.args...)
			if r.Code != tc.code {
				t.Fatalf("exit code %d, want %d (err %v)\n%s%s", r.Code, tc.code, r.Err, r.Out, r.ErrOut)
			}
			_, called := tc.fake.Called("Rollback")
			if usage := tc.code == cmdutil.ExitUsage; called == usage {
				t.Errorf("Rollback called: %v; a usage error must not roll back, anything else must", called)
			}
			if tc.code == cmdutil.ExitCancel && !strings.Contains(r.Err.Error(), "continues in ECS") {
				t.Errorf("the interrupted rollback's error %q does not say the deployment goes on", r.Err)
			}
		})
	}
}

func TestRollbackBackendIsTheSameCommand(t *testing.T) {
	fake := &envtest.Fake{Rollout: env.Rollout{Version: "v1", PreviousVersion: "v2", Outcome: env.OutcomeCompleted}}
	r := cmdtest.Run(t, newCmd, fake, "backend", "--to", "41")
	if r.Code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %v", r.Code, r.Err)
	}
	if arg, _ := fake.Called("Rollback"); arg.(env.RollbackOptions).To != "41" {
		t.Fatalf("rollback options %+v", arg)
	}
	if _, called := fake.Called("RollbackFrontend"); called {
		t.Error("rollback backend rolled the frontend back")
	}
}

func TestRollbackFrontend(t *testing.T) {
	fake := &envtest.Fake{Frontend: env.Frontend{Release: "aaaa1111", From: "bbbb2222", Files: 13, Restored: []string{"config.json", "index.html"}}}
	r := cmdtest.Run(t, newCmd, fake, "frontend", "--to", "aaaa", "--no-wait")
	if r.Code != cmdutil.ExitOK || !strings.Contains(r.Out, "aaaa1111 is live again") || !strings.Contains(r.Out, "empctl rollback frontend --to bbbb2222") {
		t.Fatalf("exit %d, %v:\n%s", r.Code, r.Err, r.Out)
	}
	arg, _ := fake.Called("RollbackFrontend")
	if opts := arg.(env.FrontendRollbackOptions); opts.To != "aaaa" || !opts.NoWait || opts.DryRun {
		t.Errorf("options %+v", opts)
	}
	if _, called := fake.Called("Rollback"); called {
		t.Error("rollback frontend rolled the backend back")
	}

	fake.Frontend.DryRun = true
	if r := cmdtest.Run(t, newCmd, fake, "frontend", "--dry-run"); r.Code != 0 || !strings.Contains(r.Out, "Would put webapp release aaaa1111") || !strings.Contains(r.Out, "restore    config.json index.html") {
		t.Errorf("dry run: exit %d:\n%s", r.Code, r.Out)
	}

	fake = &envtest.Fake{FrontendErr: fmt.Errorf("%w: no release \"zz\"; the releases kept are:\n  aaaa1111", env.ErrNotRetained)}
	if r := cmdtest.Run(t, newCmd, fake, "frontend", "--to", "zz"); r.Code != cmdutil.ExitError || !strings.Contains(r.Err.Error(), "aaaa1111") {
		t.Errorf("a release past retention: exit %d, %v; want 1 listing the kept ones", r.Code, r.Err)
	}
}
