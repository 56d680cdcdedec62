package trafficmix

import (
	"slices"

	"github.com/empctl/empctl/pkg/loadtest"
)

// PlanSignUps spreads total sign-ups over the phases: one for each phase
// while they last (first the phases rank puts first, lower ranks first,
// keeping their order among equals), and the rest evenly. With more phases
// than sign-ups the last-ranked phases get none.
func PlanSignUps(phases []string, total int, rank func(phase string) int) map[string]int {
	quota := map[string]int{}
	first := slices.Clone(phases)
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

// Schedule sets the sign-up plan (see PlanSignUps); nothing is signed up
// before Enter releases a phase's share. A nil rank keeps the phases' order.
func (m *Mix) Schedule(phases []string, rank func(phase string) int) {
	if rank == nil {
		rank = func(string) int { return 0 }
	}
	w := m.writes
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phases, w.quota = phases, PlanSignUps(phases, w.maxSignUps, rank)
}

// Enter releases the share of the sign-ups planned for the phase that
// begins: the load sends them at the sign-up target's next turns.
func (m *Mix) Enter(phase string) {
	w := m.writes
	w.mu.Lock()
	defer w.mu.Unlock()
	for range w.quota[phase] {
		w.released = append(w.released, phase)
	}
}

// SignUpsByPhase is how many sign-ups each phase's share sent.
func (m *Mix) SignUpsByPhase() []loadtest.PhaseCount {
	w := m.writes
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]loadtest.PhaseCount, 0, len(w.phases))
	for _, p := range w.phases {
		out = append(out, loadtest.PhaseCount{Phase: p, Count: w.sentIn[p]})
	}
	return out
}
