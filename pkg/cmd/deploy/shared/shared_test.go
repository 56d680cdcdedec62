package shared

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// Exit codes tell the truth: only a tripped circuit breaker is the verdict
// (3); a cancelled rollout is 130; anything else, such as a replica binary
// that cannot start, is 1.
func TestFinishRolloutExitCodes(t *testing.T) {
	failed := env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "boom"}
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, cmdutil.ExitOK},
		{fmt.Errorf("%w: replica local-1 never passed /readyz", env.ErrRolloutFailed), cmdutil.ExitVerdict},
		{fmt.Errorf("rollout cancelled: %w", context.Canceled), cmdutil.ExitCancel},
		{errors.New("starting /no/such/server: no such file or directory"), cmdutil.ExitError},
	} {
		ios, _, _, _ := iostreams.Test()
		if got := cmdutil.ExitCode(FinishRollout(ios, false, failed, c.err)); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.want)
		}
	}
}
