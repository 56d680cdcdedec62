package verify

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/loadtest"
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
				quota := planSignUps(phases, maxSignUps)
				total := 0
				for _, p := range phases {
					total += quota[p]
					// More phases than sign-ups: the kill and the rollback still get theirs.
					if quota[p] == 0 && len(phases) <= maxSignUps {
						t.Errorf("%d rollouts, kill %v, rollback %v: phase %s gets no sign-up (%v)", rollouts, kill, rollback, p, quota)
					}
				}
				if total != maxSignUps {
					t.Errorf("%d rollouts, kill %v, rollback %v: %d sign-ups planned, want %d", rollouts, kill, rollback, total, maxSignUps)
				}
				if kill && quota[phaseKill] == 0 || rollback && quota[phaseRollback] == 0 {
					t.Errorf("%d rollouts: the kill or the rollback gets no sign-up (%v)", rollouts, quota)
				}
			}
		}
	}
}

// The load sends a phase's sign-ups only once the phase has begun, and
// counts them by phase for the report.
func TestSignUpsWaitForTheirPhase(t *testing.T) {
	w := newWrites("http://127.0.0.1:1", "zd-test", "pw", nil)
	phases := runPhases(3, true, true)
	w.schedule(phases)
	next := func() int {
		n := 0
		for w.nextSignUp(&loadtest.Request{}) {
			n++
		}
		return n
	}
	if n := next(); n != 0 {
		t.Fatalf("%d sign-ups before the warm-up began", n)
	}
	for _, p := range phases {
		w.enter(p)
		if n := next(); n != w.quota[p] || n == 0 {
			t.Fatalf("phase %s sent %d sign-ups, want its share %d", p, n, w.quota[p])
		}
	}
	got := w.signUpsByPhase()
	if len(got) != len(phases) || !slices.ContainsFunc(got, func(c loadtest.PhaseCount) bool { return c.Phase == phaseKill && c.Count > 0 }) {
		t.Fatalf("sign-ups by phase %v", got)
	}
}

// A sign-up's Idempotency-Key cannot be guessed from its e-mail: the server
// replays a sign-up only for the identical request, but a guessable key
// still lets someone register the address first under it.
func TestSignUpKeysAreRandom(t *testing.T) {
	w := newWrites("http://127.0.0.1:1", "zd-test", "pw", nil)
	w.schedule(runPhases(1, false, false))
	w.enter(phaseWarmup)
	seen := map[string]bool{}
	for r := (loadtest.Request{}); w.nextSignUp(&r); r = (loadtest.Request{}) {
		var body struct{ Email string }
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		key := r.Header.Get("Idempotency-Key")
		if len(key) < 20 || strings.Contains(body.Email, key) || seen[key] {
			t.Fatalf("sign-up of %s has the Idempotency-Key %q: want a random one of its own", body.Email, key)
		}
		seen[key] = true
	}
	if len(seen) == 0 {
		t.Fatal("no sign-up released in the warm-up")
	}
}
