package backend

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
	"github.com/empctl/empctl/pkg/env"
)

// On AWS (moto, a real registry, the ECS fake), the dry run decides as the
// deploy does in each case: a changed build rolls out (under the version the
// dry run named), the running build is nothing to deploy (outcome
// "unchanged" in JSON, in the dry run's words), and --force plans and runs a
// redeploy under a version of its own.
func TestAWSDryRunsAgreeWithTheDeploy(t *testing.T) {
	e, rec := awsEnv(t)
	fake := rec.ECS
	plan := func(args ...string) env.Plan {
		t.Helper()
		r := deploy(t, e, append(args, "--dry-run", "-o", "json")...)
		var p env.Plan
		if r.Code != cmdutil.ExitOK || json.Unmarshal([]byte(r.Out), &p) != nil {
			t.Fatalf("dry run %v: exit %d, %v\n%s\n%s", args, r.Code, r.Err, r.Out, r.ErrOut)
		}
		return p
	}
	run := func(args ...string) (env.Rollout, notRolledOut) {
		t.Helper()
		r := deploy(t, e, append(args, "-o", "json")...)
		var ro env.Rollout
		var not notRolledOut
		if r.Code != cmdutil.ExitOK || json.Unmarshal([]byte(r.Out), &ro) != nil || json.Unmarshal([]byte(r.Out), &not) != nil {
			t.Fatalf("deploy %v: exit %d, %v\n%s\n%s", args, r.Code, r.Err, r.Out, r.ErrOut)
		}
		return ro, not
	}

	// Changed.
	p := plan()
	if p.Action != env.ActionRollout || len(p.Steps) != 3 {
		t.Fatalf("dry run of a new build: %+v", p)
	}
	fake.Script(1, ecsfake.Launch(4), ecsfake.Healthy(), ecsfake.Complete())
	first, _ := run()
	if first.Outcome != env.OutcomeCompleted || first.Version != p.Version || first.PreviousRevision != p.Current {
		t.Fatalf("rollout %+v; the dry run planned %s over %s", first, p.Version, p.Current)
	}

	// Nothing to do.
	p = plan()
	if p.Action != env.ActionUnchanged || len(p.Steps) != 0 || !strings.Contains(p.Reason, "nothing to deploy") || p.Current != first.Revision {
		t.Fatalf("dry run of the running build: %+v", p)
	}
	_, not := run()
	if not.Outcome != env.OutcomeUnchanged || not.Reason != p.Reason {
		t.Fatalf("deploy of the running build: %+v; the dry run said %q", not, p.Reason)
	}

	// Forced.
	p = plan("--force")
	if p.Action != env.ActionRedeploy || !strings.HasPrefix(p.Version, first.Version+"+r") || p.Current != first.Revision {
		t.Fatalf("dry run of a forced redeploy: %+v", p)
	}
	fake.Script(2, ecsfake.Launch(4), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
	forced, _ := run("--force")
	if forced.Outcome != env.OutcomeCompleted || !strings.HasPrefix(forced.Version, first.Version+"+r") || forced.PreviousRevision != p.Current {
		t.Fatalf("forced redeploy %+v; the dry run planned %s over %s", forced, p.Version, p.Current)
	}
	rec.CheckPolicy(t) // the deployer policy allows what the dry runs call
}
