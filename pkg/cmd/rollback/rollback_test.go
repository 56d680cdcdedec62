package rollback

import (
	"fmt"
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
