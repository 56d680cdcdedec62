package trafficmix

import (
	"testing"

	"github.com/empctl/empctl/pkg/loadtest"
)

// The load sends a phase's sign-ups only once the phase has begun, and
// counts them by phase for the report.
func TestSignUpsWaitForTheirPhase(t *testing.T) {
	m := &Mix{writes: newWrites("http://127.0.0.1:1", "zd-test", "pw", nil, 5)}
	phases := []string{"a", "b", "c"}
	m.Schedule(phases, nil)
	next := func() int {
		n := 0
		for m.writes.nextSignUp(&loadtest.Request{}) {
			n++
		}
		return n
	}
	if n := next(); n != 0 {
		t.Fatalf("%d sign-ups before the first phase began", n)
	}
	for _, p := range phases {
		m.Enter(p)
		if n := next(); n != m.writes.quota[p] || n == 0 {
			t.Fatalf("phase %s sent %d sign-ups, want its share %d", p, n, m.writes.quota[p])
		}
	}
	got := m.SignUpsByPhase()
	if len(got) != len(phases) || got[0].Count+got[1].Count+got[2].Count != 5 {
		t.Fatalf("sign-ups by phase %v, want 5 over %v", got, phases)
	}
}
