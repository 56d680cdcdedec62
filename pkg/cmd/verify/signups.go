package verify

import (
	"fmt"
)

// The phases of a run, as the sign-up schedule names them.
const (
	phaseWarmup   = "warm-up"
	phaseKill     = "kill"
	phaseRollback = "rollback"
	phaseCooldown = "cool-down"
)

func phaseRollout(n int) string { return fmt.Sprintf("rollout %d", n) }

// runPhases lists a run's phases in the order they begin: the kill begins
// during the first rollout.
func runPhases(rollouts int, kill, rollback bool) []string {
	phases := []string{phaseWarmup}
	for n := 1; n <= rollouts; n++ {
		phases = append(phases, phaseRollout(n))
		if n == 1 && kill {
			phases = append(phases, phaseKill)
		}
	}
	if rollback {
		phases = append(phases, phaseRollback)
	}
	return append(phases, phaseCooldown)
}

// phaseRank orders the phases for their first sign-up: the kill and the
// rollback first, then the rollouts in order, the warm-up and the cool-down
// last. With more phases than sign-ups (over 8 rollouts with --kill and
// --rollback) the last rollouts get none.
func phaseRank(p string) int {
	switch p {
	case phaseKill, phaseRollback:
		return 0
	case phaseWarmup, phaseCooldown:
		return 2
	}
	return 1
}
