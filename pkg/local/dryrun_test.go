package local_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// A backend dry run decides as the deploy does, on the real stack: for the
// running build, nothing (with the deploy's own words); forced, a redeploy
// under the version the deploy then runs; a changed build, a rollout.
func TestBackendDryRunAgreesWithTheDeploy(t *testing.T) {
	opts := localtest.Options(t)
	localtest.Start(t, opts)
	e := local.NewEnv(t.TempDir(), opts.StateDir)
	ctx := t.Context()
	noProgress := func(env.Event) {}
	running := localtest.ServerRelease(t)
	rel := env.Release{Version: running.Version, Artifact: running.Binary, Digest: running.Digest, Env: running.Env}

	// Nothing to do.
	plan, err := e.PlanBackend(ctx, rel)
	if err != nil || plan.Action != env.ActionUnchanged || len(plan.Steps) != 0 || !strings.Contains(plan.Reason, "nothing to deploy") {
		t.Fatalf("dry run of the running build: %+v, %v; want nothing to deploy", plan, err)
	}
	_, err = e.DeployBackend(ctx, rel, env.DeployOptions{}, noProgress)
	if !errors.Is(err, env.ErrSameBuild) || err.Error() != plan.Reason {
		t.Fatalf("deploy of the running build: %v; want ErrSameBuild saying what the dry run said: %s", err, plan.Reason)
	}

	// Forced.
	forced := rel
	forced.Force = true
	plan, err = e.PlanBackend(ctx, forced)
	if err != nil || plan.Action != env.ActionRedeploy || plan.Version == rel.Version || plan.Current != rel.Version || len(plan.Steps) != 3 {
		t.Fatalf("dry run of a forced redeploy: %+v, %v", plan, err)
	}
	ro, err := e.DeployBackend(ctx, forced, env.DeployOptions{}, noProgress)
	if err != nil || ro.Outcome != env.OutcomeCompleted || ro.Version != plan.Version || ro.PreviousVersion != plan.Current {
		t.Fatalf("forced redeploy: %+v, %v; the dry run planned %s over %s", ro, err, plan.Version, plan.Current)
	}

	// Changed: another build (the same binary under another digest).
	changed := rel
	changed.Version, changed.Digest = "v-changed", "sha256:changed"
	plan, err = e.PlanBackend(ctx, changed)
	if err != nil || plan.Action != env.ActionRollout || plan.Version != "v-changed" || plan.Current != ro.Version {
		t.Fatalf("dry run of a changed build: %+v, %v", plan, err)
	}
	ro, err = e.DeployBackend(ctx, changed, env.DeployOptions{}, noProgress)
	if err != nil || ro.Outcome != env.OutcomeCompleted || ro.Version != plan.Version || ro.PreviousVersion != plan.Current {
		t.Fatalf("rollout of a changed build: %+v, %v; the dry run planned %s over %s", ro, err, plan.Version, plan.Current)
	}
}

// A webapp dry run decides as the publish does: the live build is already
// live, with every file unchanged, and nothing is published.
func TestFrontendDryRunAgreesWithThePublish(t *testing.T) {
	_, e := servedEnv(t)
	ctx := t.Context()
	noProgress := func(env.Event) {}
	dist := webBuildV1(t)

	// Changed (nothing live yet).
	plan, err := e.DeployFrontend(ctx, dist, env.FrontendOptions{DryRun: true}, noProgress)
	if err != nil || plan.Unchanged || plan.Files != 2 {
		t.Fatalf("dry run of a new build: %+v, %v", plan, err)
	}
	live, err := e.DeployFrontend(ctx, dist, env.FrontendOptions{}, noProgress)
	if err != nil || live.Unchanged || live.Files != plan.Files {
		t.Fatalf("publish of a new build: %+v, %v; the dry run planned %+v", live, err, plan)
	}

	// Nothing to do.
	plan, err = e.DeployFrontend(ctx, dist, env.FrontendOptions{DryRun: true}, noProgress)
	if err != nil || !plan.DryRun || !plan.Unchanged || plan.Release != live.Release || plan.UnchangedFiles != 2 || plan.Uploaded != 0 {
		t.Fatalf("dry run of the live build: %+v, %v; want release %s already live, 2 files unchanged", plan, err, live.Release)
	}
	again, err := e.DeployFrontend(ctx, dist, env.FrontendOptions{}, noProgress)
	plan.DryRun = false
	if err != nil || !reflect.DeepEqual(again, plan) {
		t.Fatalf("publish of the live build: %+v, %v; the dry run said %+v", again, err, plan)
	}
}
