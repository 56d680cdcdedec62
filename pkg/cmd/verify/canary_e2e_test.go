package verify

import (
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/rollout"
)

// The end-to-end proof of a gated canary: at 200 requests per second for at
// least 10,000 requests, two canary rollouts of real server replicas (one
// SIGKILLed during the first), each promoted by its gate, then a canary
// rollback: zero failed requests, every acknowledged write stored once, and
// the weight seen rising in steps. The replicas keep the server's default
// sign-up limit (20 an hour per address) while the run makes 28 sign-ups
// from this machine (verify's 19, each of the 3 gates' 3): the operator key
// carries them.
func TestVerifyACanaryAcrossRolloutsARollbackAndAKill(t *testing.T) {
	opts := localtest.UpOptions(t)
	if _, set := opts.Env["SIGN_UPS_PER_HOUR"]; set {
		t.Fatal("the stack must run with the server's default sign-up limit")
	}
	localtest.Start(t, opts)

	rep, out, err := runVerify(t, opts.StateDir, nil, "--strategy", "canary", "--rollouts", "2", "--rollback", "--kill", "--duration", "52s")
	if err != nil {
		t.Fatalf("verify-zero-downtime --strategy canary failed: %v", err)
	}
	if rep.Verdict != loadtest.VerdictPass || rep.Failed != 0 || rep.Requests < 10000 {
		t.Fatalf("verdict %s with %d of %d requests failed (%v): %v; want a pass with 0 of at least 10,000", rep.Verdict, rep.Failed, rep.Requests, rep.Failures, rep.Reasons)
	}
	if w := rep.Writes; w == nil || w.Lost != 0 || w.Duplicated != 0 || w.Error != "" || w.Acknowledged == 0 || w.Verified != w.Acknowledged || w.Locked != w.Accounts {
		t.Fatalf("writes %+v: want every acknowledged write verified and every user locked", w)
	}
	var kinds []string
	for _, a := range rep.Actions {
		kinds = append(kinds, a.Kind)
		if a.Error != "" {
			t.Fatalf("the %s failed: %s", a.Kind, a.Error)
		}
		ro := a.Rollout
		if ro == nil {
			continue
		}
		if ro.Outcome != env.OutcomeCompleted || ro.Strategy != rollout.Canary || len(ro.Verdicts) == 0 || ro.Verdicts[0].Stage != rollout.StageTestTraffic {
			t.Fatalf("the %s: %+v; want a completed canary whose gate tested first", a.Kind, ro)
		}
		for _, v := range ro.Verdicts {
			if !v.Promote {
				t.Fatalf("the %s's gate did not promote: %+v", a.Kind, v)
			}
		}
	}
	if strings.Join(kinds, ",") != "rollout,kill,rollout,rollback" {
		t.Fatalf("actions %v, want a kill during the first of 2 rollouts, then a rollback", kinds)
	}
	seen := map[float64]bool{}
	for _, p := range rep.Weights {
		seen[p.Weight] = true
	}
	if !seen[10] || !seen[100] {
		t.Fatalf("weights %+v: want the canary's 10 %% and then 100 %%", rep.Weights)
	}
	if !containsAll(out, "rollout (canary)", "gate at test-traffic: promote") {
		t.Fatalf("the text report lacks the strategy or the gate's verdicts:\n%s", out)
	}
}
