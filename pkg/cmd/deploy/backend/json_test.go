package backend

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/rollout"
)

// `deploy backend -o json` keeps its shape in every case
// (testdata/deploy-backend.golden), and every case has an outcome.
func TestDeployBackendJSONShape(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rel := env.Release{Version: "v2", Artifact: "repo:v2", Digest: "sha256:ab"}
	verdict := rollout.Verdict{Promote: true, Stage: rollout.StageProductionShift, Step: 1, Reason: "0 of 100 failed", Requests: 100, Writes: 3,
		Old: &rollout.Counts{Requests: 900}, New: &rollout.Counts{Requests: 100}}
	completed := env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Started: at, Finished: at.Add(time.Minute),
		Revision: "api:7", PreviousRevision: "api:6", Image: "repo@sha256:ab", Strategy: rollout.Canary, Verdicts: []rollout.Verdict{verdict}}
	failed := env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "circuit breaker", Started: at, Finished: at.Add(time.Minute),
		Revision: "api:7", PreviousRevision: "api:6", Image: "repo@sha256:ab", FailedTarget: "the tasks of api:7", Logs: []string{"exit 1"}}
	sameBuild := fmt.Errorf("%w (v2): nothing to deploy", env.ErrSameBuild)
	var got strings.Builder
	plan := env.Plan{Env: "prod", Action: env.ActionRollout, Version: "v2", Artifact: "repo:v2", Current: "api:6", Steps: []string{"push", "register", "update"}, Diff: "-a\n+b\n"}
	for _, tc := range []struct {
		name string
		fake *envtest.Fake
		args []string
	}{
		{"completed", &envtest.Fake{Release: rel, Rollout: completed}, nil},
		{"failed", &envtest.Fake{Release: rel, Rollout: failed, DeployErr: fmt.Errorf("%w: circuit breaker", env.ErrRolloutFailed)}, nil},
		{"failed before its rollout", &envtest.Fake{Release: rel, DeployErr: errors.New("pushing: connection refused")}, nil},
		{"unchanged", &envtest.Fake{Release: rel, DeployErr: sameBuild}, nil},
		{"dry run", &envtest.Fake{Release: rel, Plan: plan, EnvName: "local"}, []string{"--dry-run", "--strategy", "canary"}},
		{"dry run, unchanged", &envtest.Fake{Release: rel, Plan: env.Plan{Env: "prod", Action: env.ActionUnchanged, Reason: sameBuild.Error(), Version: "v2", Artifact: "repo:v2", Current: "api:7"}}, []string{"--dry-run"}},
	} {
		r := cmdtest.Run(t, withGate(""), tc.fake, append(tc.args, "-o", "json")...)
		if !strings.Contains(r.Out, `"outcome"`) && !strings.Contains(r.Out, `"action"`) {
			t.Errorf("%s: no outcome (nor, for a dry run, action):\n%s", tc.name, r.Out)
		}
		got.WriteString("# " + tc.name + "\n" + cmdtest.JSONShape(t, r.Out) + "\n")
	}
	cmdtest.Golden(t, "deploy-backend", got.String())
}
