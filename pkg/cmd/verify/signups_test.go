package verify

import (
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/trafficmix"
)

// The capped sign-ups are spread over the run: each rollout, the kill and
// the rollback get theirs, not only the first seconds of the warm-up.
func TestSignUpScheduleCoversEveryPhase(t *testing.T) {
	if got := strings.Join(runPhases(3, true, true), ","); got != "warm-up,rollout 1,kill,rollout 2,rollout 3,rollback,cool-down" {
		t.Fatalf("phases %s", got)
	}
	for rollouts := 1; rollouts <= 20; rollouts++ {
		for _, kill := range []bool{false, true} {
			for _, rollback := range []bool{false, true} {
				phases := runPhases(rollouts, kill, rollback)
				quota := trafficmix.PlanSignUps(phases, mixOptions.SignUps, phaseRank)
				total := 0
				for _, p := range phases {
					total += quota[p]
					// More phases than sign-ups: the kill and the rollback still get theirs.
					if quota[p] == 0 && len(phases) <= mixOptions.SignUps {
						t.Errorf("%d rollouts, kill %v, rollback %v: phase %s gets no sign-up (%v)", rollouts, kill, rollback, p, quota)
					}
				}
				if total != mixOptions.SignUps {
					t.Errorf("%d rollouts, kill %v, rollback %v: %d sign-ups planned, want %d", rollouts, kill, rollback, total, mixOptions.SignUps)
				}
				if kill && quota[phaseKill] == 0 || rollback && quota[phaseRollback] == 0 {
					t.Errorf("%d rollouts: the kill or the rollback gets no sign-up (%v)", rollouts, quota)
				}
			}
		}
	}
}
