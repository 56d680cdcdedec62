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

func TestProgressiveStatus(t *testing.T) {
	st := awsStatus
	st.Deploying = true
	st.Progressive = &rollout.State{Strategy: rollout.Canary, Stage: rollout.StageTestTraffic,
		Hook: "AWAITING_ACTION at POST_TEST_TRAFFIC_SHIFT (hook h-1; ROLLBACK on its own in 29m0s)"}
	r := cmdtest.Run(t, newCmd, &envtest.Fake{State: st})
	if want := "Rollout     canary, test-traffic; AWAITING_ACTION at POST_TEST_TRAFFIC_SHIFT (hook h-1"; !strings.Contains(r.Out, want) {
		t.Errorf("status lacks %q:\n%s", want, r.Out)
	}
	st.Progressive = &rollout.State{Strategy: rollout.BlueGreen, Stage: rollout.StageBake, Weight: 100, BakeEnds: time.Now().Add(4*time.Minute + 30*time.Second)}
	r = cmdtest.Run(t, newCmd, &envtest.Fake{State: st})
	if want := "blue-green, bake, 100 % of production traffic on the new version, bake ends in 4m"; !strings.Contains(r.Out, want) {
		t.Errorf("status lacks %q:\n%s", want, r.Out)
	}
}
