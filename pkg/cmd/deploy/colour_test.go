package deploy

import (
	"fmt"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
)

// The release's ✓/✗ and each tier's action are coloured on a terminal only,
// never with NO_COLOR or -o json.
func TestReleaseColour(t *testing.T) {
	t.Run("completed", func(t *testing.T) {
		cmdtest.CheckColour(t, releaseCmd(t), fakeEnv(), nil, "\x1b[32m✓\x1b[0m released to prod", ": \x1b[32mrolled-out\x1b[0m", ": \x1b[32mpublished\x1b[0m")
	})
	t.Run("backend failed", func(t *testing.T) {
		fake := fakeEnv()
		fake.Rollout = env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "unhealthy"}
		fake.DeployErr = fmt.Errorf("%w: unhealthy", env.ErrRolloutFailed)
		cmdtest.CheckColour(t, releaseCmd(t), fake, nil, "\x1b[31m✗\x1b[0m release to prod stopped", ": \x1b[31mfailed\x1b[0m", ": \x1b[33mnot-run\x1b[0m")
	})
}
