package rollback

import (
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// A rollback's ✓ and states are coloured on a terminal only, never with
// NO_COLOR or -o json.
func TestRollbackColour(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	t.Run("backend", func(t *testing.T) {
		fake := &envtest.Fake{Rollout: env.Rollout{Version: "v1", PreviousVersion: "v2", Outcome: env.OutcomeCompleted, Started: at, Finished: at.Add(time.Second)}}
		cmdtest.CheckColour(t, newCmd, fake, nil, "\x1b[32m✓\x1b[0m v1 is serving")
	})
	t.Run("frontend", func(t *testing.T) {
		fake := &envtest.Fake{Frontend: env.Frontend{Release: "aaaa1111", From: "bbbb2222", Files: 3}}
		cmdtest.CheckColour(t, newCmd, fake, []string{"frontend"}, "\x1b[32m✓\x1b[0m webapp release aaaa1111 is \x1b[32mlive\x1b[0m again")
	})
}
