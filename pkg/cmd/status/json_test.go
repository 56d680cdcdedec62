package status

import (
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/rollout"
)

// `status -o json` keeps its shape (testdata/status.golden): an AWS
// environment with every part set, then the local stack during a
// progressive rollout. The webapp release is what is live, without a
// deploy's counters.
func TestStatusJSONShape(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	aws := awsStatus
	aws.PreviousVersion = "v1"
	aws.Frontend = &env.Frontend{Release: "3f2a9c01", Files: 14, Published: now, Retained: 3, Uploaded: 2, UploadedBytes: 10, UnchangedFiles: 12}
	aws.Revisions = []env.Revision{{Version: "v2", Revision: "empctl-prod-api:7", Served: now, Live: true}}
	aws.FrontendReleases = []env.FrontendRelease{{Release: "3f2a9c01", Published: now, Files: 14, Live: true}}
	aws.Events[0].Kind, aws.Started = "ecs", now
	local := env.Status{Env: "local", Endpoint: "http://127.0.0.1:8080", Version: "v1", Deploying: true, Desired: 3,
		Targets: []env.Target{{ID: "local-a1", Version: "v1", Zone: "local", Addr: "127.0.0.1:9001", State: "serving", Health: "healthy", Started: now, PID: 42, InFlight: 1}},
		Progressive: &rollout.State{Strategy: rollout.Canary, Stage: rollout.StageProductionShift, Step: 1, Steps: 2, Weight: 10,
			BakeEnds: now, Old: &rollout.Counts{Requests: 900}, New: &rollout.Counts{Requests: 100, Errors: 1}}}
	var got strings.Builder
	for _, st := range []env.Status{aws, local} {
		r := cmdtest.Run(t, newCmd, &envtest.Fake{State: st}, "-o", "json")
		if r.Code != 0 {
			t.Fatal(r.Err)
		}
		if st.Frontend != nil && (strings.Contains(r.Out, `"uploaded"`) || strings.Contains(r.Out, `"unchangedFiles"`)) {
			t.Errorf("status carries a deploy's counters:\n%s", r.Out)
		}
		got.WriteString("# " + st.Env + "\n" + cmdtest.JSONShape(t, r.Out))
	}
	cmdtest.Golden(t, "status", got.String())
}
