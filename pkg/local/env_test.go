package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
	"github.com/empctl/empctl/pkg/rollout"
)

// This test binary is also the fake replica of localtest.FakeRelease.
func TestMain(m *testing.M) {
	localtest.RunFakeReplica()
	os.Exit(m.Run())
}

// servedEnv starts a stack of fake replicas of v1 behind its control socket
// and returns it with the local environment that drives it.
func servedEnv(t *testing.T) (*stack.Stack, *local.Env) {
	t.Helper()
	opts := localtest.Options(t)
	s, err := stack.Start(context.Background(), opts, localtest.FakeRelease(t, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if err := control.Serve(s); err != nil {
		t.Fatal(err)
	}
	return s, local.NewEnv(t.TempDir(), opts.StateDir)
}

// webBuildV1 is a webapp build of two files: index.html and a hashed asset.
func webBuildV1(t *testing.T) string {
	t.Helper()
	dist := t.TempDir()
	for name, body := range map[string]string{"index.html": "<html>v1</html>", "main.abc123.js": "v1"} {
		if err := os.WriteFile(filepath.Join(dist, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dist
}

// A dry run of a webapp publish names the release it would replace and the
// files it would copy, and changes nothing.
func TestFrontendDryRunNamesTheReleaseItWouldReplace(t *testing.T) {
	s, e := servedEnv(t)
	ctx := context.Background()
	noProgress := func(env.Event) {}

	dist := webBuildV1(t)
	plan, err := e.DeployFrontend(ctx, dist, env.FrontendOptions{DryRun: true}, noProgress)
	if err != nil || !plan.DryRun || plan.Unchanged || plan.Replaces != "" || plan.Files != 2 {
		t.Fatalf("dry run with no release live: %+v, %v; want a dry run of 2 files replacing none", plan, err)
	}
	live, err := e.DeployFrontend(ctx, dist, env.FrontendOptions{}, noProgress)
	if err != nil || live.Release == "" {
		t.Fatalf("publishing: %+v, %v", live, err)
	}

	if err := os.WriteFile(filepath.Join(dist, "main.def456.js"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err = e.DeployFrontend(ctx, dist, env.FrontendOptions{DryRun: true}, noProgress)
	if err != nil || !plan.DryRun || plan.Replaces != live.Release || plan.Files != 3 {
		t.Fatalf("dry run: %+v, %v; want a dry run of 3 files replacing %s", plan, err, live.Release)
	}
	if st := s.Status(); st.Frontend == nil || st.Frontend.Release != live.Release {
		t.Fatalf("after the dry run the live release is %+v, want %s", st.Frontend, live.Release)
	}
}

// A progressive deploy through the local environment runs the gate given in
// the options at the stack's gate hooks; without a gate it is refused
// before anything starts.
func TestProgressiveDeployRunsTheGate(t *testing.T) {
	_, e := servedEnv(t)
	fake := localtest.FakeRelease(t, "v2")
	rel := env.Release{Version: fake.Version, Artifact: fake.Binary, Digest: fake.Digest, Env: fake.Env}
	cfg := rollout.Defaults(true)
	cfg.Strategy, cfg.StepPercent, cfg.StepBake, cfg.Bake = rollout.Linear, 50, 0, 0
	if _, err := e.DeployBackend(context.Background(), rel, env.DeployOptions{Strategy: cfg}, func(env.Event) {}); err == nil {
		t.Fatal("a progressive deploy without a gate was accepted")
	}
	var stages []string
	gate := &localtest.TestGate{Reads: 2, OnStage: func(st rollout.Stage, step int) { stages = append(stages, fmt.Sprintf("%s %d", st, step)) }}
	ro, err := e.DeployBackend(context.Background(), rel, env.DeployOptions{Strategy: cfg, Gate: gate}, func(env.Event) {})
	if err != nil || ro.Outcome != env.OutcomeCompleted || ro.Strategy != rollout.Linear {
		t.Fatalf("linear deploy: %+v, %v", ro, err)
	}
	if got := strings.Join(stages, ","); got != "test-traffic 0,production-shift 1,production-shift 2" {
		t.Fatalf("the gate was called at %s", got)
	}
}
