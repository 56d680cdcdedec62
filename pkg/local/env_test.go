package local_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
)

// This test binary is also the fake replica of localtest.FakeRelease.
func TestMain(m *testing.M) {
	localtest.RunFakeReplica()
	os.Exit(m.Run())
}

// A dry run of a webapp publish names the release it would replace and the
// files it would copy, and changes nothing.
func TestFrontendDryRunNamesTheReleaseItWouldReplace(t *testing.T) {
	opts := localtest.Options(t)
	s, err := stack.Start(context.Background(), opts, localtest.FakeRelease(t, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if err := control.Serve(s); err != nil {
		t.Fatal(err)
	}
	e := local.NewEnv(t.TempDir(), opts.StateDir)
	ctx := context.Background()
	noProgress := func(env.Event) {}

	dist := t.TempDir()
	for name, body := range map[string]string{"index.html": "<html>v1</html>", "main.abc123.js": "v1"} {
		if err := os.WriteFile(filepath.Join(dist, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
