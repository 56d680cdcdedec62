package deploy

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
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

// localBuild is the local environment with its server build replaced by a
// fake replica's release.
type localBuild struct {
	*local.Env
	rel env.Release
}

func (l localBuild) BuildBackend(context.Context, env.BuildOptions, io.Writer) (env.Release, error) {
	return l.rel, nil
}

func webBuild(t *testing.T, body string) string {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dist
}

// Against a running local stack: a release whose backend fails its rollout
// publishes no webapp; one whose backend goes out publishes it, with one JSON
// object for both.
func TestReleaseOnTheLocalStack(t *testing.T) {
	opts := localtest.Options(t)
	opts.Replicas = 1
	opts.HealthGrace = 10 * time.Second
	s, err := stack.Start(context.Background(), opts, localtest.FakeRelease(t, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if err := control.Serve(s); err != nil {
		t.Fatal(err)
	}
	e := local.NewEnv(t.TempDir(), opts.StateDir)
	web1, err := e.DeployFrontend(context.Background(), webBuild(t, "web v1"), env.FrontendOptions{}, func(env.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	release := func(version string, fakeEnv map[string]string, dist string, args ...string) (cmdtest.Result, ReleaseResult) {
		t.Helper()
		fakeEnv["EMPCTL_FAKE_REPLICA"] = "1"
		lb := localBuild{Env: e, rel: env.Release{Version: version, Artifact: exe, Digest: "fake-" + version, Env: fakeEnv}}
		newCmd := func(f *cmdutil.Factory) *cobra.Command {
			return newCmdDeploy(f, func(o *ReleaseOptions) error {
				o.Frontend.Build = func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }
				return RunRelease(context.Background(), o)
			})
		}
		r := cmdtest.Run(t, newCmd, lb, append(args, "-o", "json")...)
		var res ReleaseResult
		if err := json.Unmarshal([]byte(r.Out), &res); err != nil {
			t.Fatalf("not one JSON object (%v): %s\n%s", err, r.Out, r.ErrOut)
		}
		return r, res
	}

	r, res := release("v2", map[string]string{"FAKE_EXIT_AT_START": "1"}, webBuild(t, "web v2"))
	if r.Code != cmdutil.ExitVerdict || res.Outcome != ReleaseBackendFailed || res.Frontend.Action != TierNotRun {
		t.Fatalf("a failing backend: exit %d, %+v", r.Code, res)
	}
	st := s.Status()
	if st.Version != "v1" || st.Frontend.Release != web1.Release || len(st.FrontendReleases) != 1 {
		t.Fatalf("after the failed release: backend %s, webapp %+v (%d kept); want v1 and %s alone", st.Version, st.Frontend, len(st.FrontendReleases), web1.Release)
	}

	web3 := webBuild(t, "web v3")
	r, res = release("v3", map[string]string{}, web3)
	if r.Code != 0 || res.Outcome != ReleaseCompleted || res.Backend.Before != "v1" || res.Backend.After != "v3" ||
		res.Frontend.Before != web1.Release || res.Frontend.After == web1.Release || res.Frontend.Action != TierPublished {
		t.Fatalf("a good release: exit %d, %+v", r.Code, res)
	}
	if st := s.Status(); st.Version != "v3" || st.Frontend.Release != res.Frontend.After {
		t.Errorf("after the release: backend %s, webapp %s; want v3 and %s", st.Version, st.Frontend.Release, res.Frontend.After)
	}

	// The same builds again: the dry run and the release agree that both
	// tiers are unchanged.
	live := res.Frontend.After
	for _, args := range [][]string{{"--dry-run"}, nil} {
		r, res = release("v3", map[string]string{}, web3, args...)
		if r.Code != 0 || res.Backend.Action != TierUnchanged || res.Backend.After != "v3" || res.Frontend.Action != TierUnchanged || res.Frontend.After != live {
			t.Fatalf("release %v of the running builds: exit %d, %+v; want both tiers unchanged", args, r.Code, res)
		}
	}
}
