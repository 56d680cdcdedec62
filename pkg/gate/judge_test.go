package gate

import (
	"testing"

	"github.com/empctl/empctl/pkg/rollout"
)

// The new version may fail at most --max-error-rate of its production
// requests and never more than the old version; below 1/max-error-rate
// requests a rate is no evidence, and absolute failures decide.
func TestJudge(t *testing.T) {
	c := func(req, errs int64) rollout.Counts { return rollout.Counts{Requests: req, Errors: errs} }
	for _, tc := range []struct {
		name     string
		old, new rollout.Counts
		fail     bool
	}{
		{"no failures", c(1000, 0), c(100, 0), false},
		{"one 5xx where the old had none", c(100000, 0), c(5000, 1), true},
		{"one 5xx in few requests beside an old version failing as much", c(10000, 20), c(100, 1), false},
		{"more 5xx in few requests than the old rate allows", c(10000, 20), c(100, 2), true},
		{"enough requests, rate under both", c(100000, 200), c(10000, 5), false},
		{"enough requests, above the old version's rate", c(100000, 20), c(10000, 5), true},
		{"enough requests, above --max-error-rate though under the old's", c(10000, 100), c(10000, 20), true},
		{"no new requests", c(1000, 3), c(0, 0), false},
	} {
		if why := judge(tc.old, tc.new, 0.001); (why != "") != tc.fail {
			t.Errorf("%s: judge(%+v, %+v) = %q, want failing %v", tc.name, tc.old, tc.new, why, tc.fail)
		}
	}
}
