package verify

import (
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/empctl/empctl/pkg/loadtest"
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

// planSignUps spreads total sign-ups over the phases: one for each phase
// while they last (the kill and the rollback first, then the rollouts in
// order, the warm-up and the cool-down last), and the rest evenly. With more
// phases than sign-ups (over 8 rollouts with --kill and --rollback) the last
// rollouts get none.
func planSignUps(phases []string, total int) map[string]int {
	quota := map[string]int{}
	first := slices.Clone(phases)
	rank := func(p string) int {
		switch p {
		case phaseKill, phaseRollback:
			return 0
		case phaseWarmup, phaseCooldown:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(first, func(a, b string) int { return rank(a) - rank(b) })
	for _, p := range first[:min(total, len(first))] {
		quota[p]++
	}
	rest, n := max(total-len(first), 0), len(phases)
	for i, p := range phases {
		quota[p] += (i+1)*rest/n - i*rest/n
	}
	return quota
}

// schedule sets the run's sign-up plan; nothing is signed up before enter
// releases a phase's share.
func (w *writes) schedule(phases []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phases, w.quota = phases, planSignUps(phases, maxSignUps)
}

// enter releases the share of the sign-ups planned for the phase that begins:
// the load sends them at the sign-up target's next turns.
func (w *writes) enter(phase string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range w.quota[phase] {
		w.released = append(w.released, phase)
	}
}

// signUpsByPhase is how many sign-ups each phase's share sent.
func (w *writes) signUpsByPhase() []loadtest.PhaseCount {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]loadtest.PhaseCount, 0, len(w.phases))
	for _, p := range w.phases {
		out = append(out, loadtest.PhaseCount{Phase: p, Count: w.sentIn[p]})
	}
	return out
}

// signUpKey is a sign-up's Idempotency-Key: random, since a key someone can
// guess (the e-mail's local part) lets them register the address first.
func signUpKey() string { return rand.Text() }
