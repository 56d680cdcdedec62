package backend

import (
	"fmt"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// ✓ and ✗ and the states are coloured on a terminal only, never with
// NO_COLOR or -o json.
func TestDeployBackendColour(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rel := env.Release{Version: "v2", Digest: "sha256:ab"}
	events := []env.Event{{Time: at, Kind: "warning", Message: "warning: the registry's image differs"}}
	t.Run("completed", func(t *testing.T) {
		fake := &envtest.Fake{Release: rel, Events: events, Rollout: env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Started: at, Finished: at.Add(time.Second)}}
		cmdtest.CheckColour(t, withGate(""), fake, nil, "\x1b[32m✓\x1b[0m v2 is serving")
	})
	t.Run("failed", func(t *testing.T) {
		fake := &envtest.Fake{Release: rel, Rollout: env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "unhealthy"},
			DeployErr: fmt.Errorf("%w: unhealthy", env.ErrRolloutFailed)}
		cmdtest.CheckColour(t, withGate(""), fake, nil, "\x1b[31m✗\x1b[0m rollout of v2 \x1b[31mfailed\x1b[0m")
	})
}
