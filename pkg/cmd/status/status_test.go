package status

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/rollout"
)

func newCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdStatus(f, nil) }

var awsStatus = env.Status{Env: "prod", Endpoint: "https://d1.cloudfront.net", Version: "v2", Service: "empctl-prod-api", Revision: "empctl-prod-api:7",
	Image: "1.dkr.ecr.eu-west-1.amazonaws.com/empctl@sha256:ab", Desired: 3,
	Targets:     []env.Target{{ID: "1a2b", Version: "v2", Revision: "empctl-prod-api:7", Zone: "eu-west-1a", State: "RUNNING", Health: "healthy", Started: time.Now()}},
	Deployments: []env.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", Rollout: "COMPLETED", Revision: "empctl-prod-api:7", Desired: 3, Running: 3}},
	Events:      []env.Event{{Time: time.Now(), Message: "(service empctl-prod-api) has reached a steady state."}},
	Frontend:    &env.Frontend{Release: "20261129T1200Z", Files: 14, Published: time.Now()}}

func TestAWSStatus(t *testing.T) {
	r := cmdtest.Run(t, newCmd, &envtest.Fake{State: awsStatus})
	for _, want := range []string{"task definition empctl-prod-api:7", "@sha256:ab", "eu-west-1a", "PRIMARY COMPLETED", "steady state", "release 20261129T1200Z (14 files, published"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("status lacks %q:\n%s", want, r.Out)
		}
	}
	r = cmdtest.Run(t, newCmd, &envtest.Fake{State: awsStatus}, "-o", "json")
	var st env.Status
	if err := json.Unmarshal([]byte(r.Out), &st); err != nil || st.Targets[0].Zone != "eu-west-1a" || st.Deployments[0].Running != 3 {
		t.Fatalf("JSON status: %v\n%s", err, r.Out)
	}
	if r := cmdtest.Run(t, newCmd, &envtest.Fake{StatusErr: env.ErrNotRunning}); r.Code != cmdutil.ExitError {
		t.Fatalf("status of a stopped env: exit %d", r.Code)
	}
}

func TestStatusListsReleases(t *testing.T) {
	st := awsStatus
	served := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st.Revisions = []env.Revision{{Version: "v2", Revision: "empctl-prod-api:7", Served: served, Live: true}, {Version: "v1", Revision: "empctl-prod-api:6", Served: served.Add(-time.Hour)}}
	st.FrontendReleases = []env.FrontendRelease{{Release: "3f2a9c01", Published: served, Files: 14, Live: true}, {Release: "77aa0b12", Published: served.Add(-time.Hour), Files: 13}}
	r := cmdtest.Run(t, newCmd, &envtest.Fake{State: st})
	for _, want := range []string{"Backend releases", "empctl-prod-api:6", "Webapp releases", "3f2a9c01", "77aa0b12"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("status lacks %q:\n%s", want, r.Out)
		}
	}
	for _, line := range strings.Split(r.Out, "\n") {
		if strings.Contains(line, "3f2a9c01") != strings.HasSuffix(strings.TrimSpace(line), "live") && (strings.Contains(line, "3f2a9c01") || strings.Contains(line, "77aa0b12")) {
			t.Errorf("only the live release is marked live: %q", line)
		}
	}
	r = cmdtest.Run(t, newCmd, &envtest.Fake{State: st}, "-o", "json")
	var got env.Status
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil || len(got.FrontendReleases) != 2 || !got.FrontendReleases[0].Live || got.Revisions[1].Revision != "empctl-prod-api:6" {
		t.Fatalf("JSON status: %v\n%s", err, r.Out)
	}
}

func TestProgressiveStatus(t *testing.T) {
	st := env.Status{Env: "local", Endpoint: "http://127.0.0.1:8080", Version: "v1", Deploying: true, Desired: 3,
		Progressive: &rollout.State{Strategy: rollout.Canary, Stage: rollout.StageProductionShift, Step: 1, Steps: 2, Weight: 10,
			BakeEnds: time.Now().Add(time.Minute), Old: &rollout.Counts{Requests: 900}, New: &rollout.Counts{Requests: 100, Errors: 1}}}
	r := cmdtest.Run(t, newCmd, &envtest.Fake{State: st})
	for _, want := range []string{"canary, stage production-shift (production shift 1 of 2)", "10% new, 90% old", "bake ends in ", "new: 100 requests, 1 failed"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("status lacks %q:\n%s", want, r.Out)
		}
	}
	r = cmdtest.Run(t, newCmd, &envtest.Fake{State: st}, "-o", "json")
	var got env.Status
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil || got.Progressive == nil || got.Progressive.Weight != 10 || got.Progressive.BakeEnds.IsZero() {
		t.Fatalf("JSON status: %v\n%s", err, r.Out)
	}
}

func TestProgressiveStatusOnAWS(t *testing.T) {
	st := awsStatus
	st.Deploying = true
	st.Progressive = &rollout.State{Strategy: rollout.Canary, Stage: rollout.StageTestTraffic,
		Hook: "AWAITING_ACTION at POST_TEST_TRAFFIC_SHIFT (hook h-1; ROLLBACK on its own in 29m0s)"}
	r := cmdtest.Run(t, newCmd, &envtest.Fake{State: st})
	if want := "Rollout     canary, stage test-traffic; production traffic: 0% new, 100% old; hook AWAITING_ACTION at POST_TEST_TRAFFIC_SHIFT (hook h-1"; !strings.Contains(r.Out, want) {
		t.Errorf("status lacks %q:\n%s", want, r.Out)
	}
	st.Progressive = &rollout.State{Strategy: rollout.BlueGreen, Stage: rollout.StageBake, Weight: 100, BakeEnds: time.Now().Add(4*time.Minute + 30*time.Second)}
	r = cmdtest.Run(t, newCmd, &envtest.Fake{State: st})
	if want := "blue-green, stage bake; production traffic: 100% new, 0% old; bake ends in 4m"; !strings.Contains(r.Out, want) {
		t.Errorf("status lacks %q:\n%s", want, r.Out)
	}
}
