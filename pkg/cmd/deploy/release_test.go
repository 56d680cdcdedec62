package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// releaseCmd is `empctl deploy` with the webapp build replaced by a folder
// holding an index.html.
func releaseCmd(t *testing.T) func(*cmdutil.Factory) *cobra.Command {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(f *cmdutil.Factory) *cobra.Command {
		return newCmdDeploy(f, func(o *ReleaseOptions) error {
			o.Frontend.Build = func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }
			return RunRelease(context.Background(), o)
		})
	}
}

func fakeEnv() *envtest.Fake {
	now := time.Now()
	return &envtest.Fake{
		EnvName: "prod",
		State:   env.Status{Version: "v1", Frontend: &env.Frontend{Release: "web1"}},
		Release: env.Release{Version: "v2", Digest: "sha256:ab"},
		Rollout: env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Started: now, Finished: now.Add(3 * time.Second)},
		Plan:    env.Plan{Env: "prod", Version: "v2", Current: "v1", Steps: []string{"roll out v2"}},
		Frontend: env.Frontend{Release: "web2", Files: 13, Uploaded: 4, UnchangedFiles: 9,
			Invalidation: "I1"},
	}
}

func methods(f *envtest.Fake) []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Method)
	}
	return out
}

func TestReleaseShipsBackendThenFrontend(t *testing.T) {
	fake := fakeEnv()
	r := cmdtest.Run(t, releaseCmd(t), fake, "-o", "json", "--no-wait", "--keep", "4")
	if r.Code != 0 {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	if got := strings.Join(methods(fake), " "); got != "Status BuildBackend DeployBackend DeployFrontend" {
		t.Errorf("calls %s, want the backend's rollout before the webapp's publish", got)
	}
	var res ReleaseResult
	if err := json.Unmarshal([]byte(r.Out), &res); err != nil {
		t.Fatalf("one JSON object: %v\n%s", err, r.Out)
	}
	if res.Outcome != ReleaseCompleted || res.Env != "prod" ||
		res.Backend.Before != "v1" || res.Backend.After != "v2" || res.Backend.Action != TierRolledOut || res.Backend.Rollout == nil ||
		res.Frontend.Before != "web1" || res.Frontend.After != "web2" || res.Frontend.Action != TierPublished || res.Frontend.Release.Files != 13 {
		t.Errorf("result %+v", res)
	}
	arg, _ := fake.Called("DeployFrontend")
	if o := arg.(envtest.FrontendCall).Opts; o.Keep != 4 || !o.NoWait || o.DryRun {
		t.Errorf("webapp options %+v", o)
	}

	r = cmdtest.Run(t, releaseCmd(t), fakeEnv())
	for _, want := range []string{"✓ released to prod", "backend  v1 → v2: rolled-out in 3s", "webapp   web1 → web2: published (13 files, 4 uploaded, 9 unchanged, 0 deleted, CloudFront invalidation I1)"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Out)
		}
	}
}

func TestReleaseWithAFailedBackendPublishesNoFrontend(t *testing.T) {
	fake := fakeEnv()
	fake.Rollout = env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "replica r3 failed its health checks"}
	fake.DeployErr = fmt.Errorf("%w: replica r3 failed its health checks", env.ErrRolloutFailed)
	r := cmdtest.Run(t, releaseCmd(t), fake, "-o", "json")
	if r.Code != cmdutil.ExitVerdict {
		t.Fatalf("exit %d, want %d: %v", r.Code, cmdutil.ExitVerdict, r.Err)
	}
	if _, called := fake.Called("DeployFrontend"); called {
		t.Fatal("the webapp was published although the backend's rollout failed")
	}
	var res ReleaseResult
	if err := json.Unmarshal([]byte(r.Out), &res); err != nil || res.Outcome != ReleaseBackendFailed || res.Backend.Action != TierFailed ||
		res.Backend.After != "v1" || res.Frontend.Action != TierNotRun || res.Frontend.After != "web1" || !strings.Contains(res.Error, "health checks") {
		t.Errorf("result %+v (%v)", res, err)
	}
	// Any other backend error: exit 1, nothing published either.
	fake = fakeEnv()
	fake.DeployErr = errors.New("pushing the image: denied")
	fake.Rollout = env.Rollout{}
	if r := cmdtest.Run(t, releaseCmd(t), fake); r.Code != cmdutil.ExitError || !strings.Contains(r.Out, "webapp was not published") {
		t.Errorf("exit %d:\n%s", r.Code, r.Out)
	}
	if _, called := fake.Called("DeployFrontend"); called {
		t.Error("the webapp was published although the backend's deploy failed")
	}
}

func TestReleaseSaysWhatIsLiveWhenTheFrontendFails(t *testing.T) {
	fake := fakeEnv()
	fake.Frontend = env.Frontend{}
	fake.FrontendErr = errors.New("access denied to bucket web")
	r := cmdtest.Run(t, releaseCmd(t), fake)
	if r.Code != cmdutil.ExitError {
		t.Fatalf("exit %d, want 1", r.Code)
	}
	for _, want := range []string{"backend v2 (new; was v1)", "webapp release web1 (the one before", "empctl rollback backend --env prod", "empctl deploy frontend --env prod"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Out)
		}
	}
	// Live, but its invalidation failed: the webapp's rollback is offered too.
	fake = fakeEnv()
	fake.FrontendErr = errors.New("CloudFront refused the invalidation")
	r = cmdtest.Run(t, releaseCmd(t), fake, "-o", "json")
	var res ReleaseResult
	if err := json.Unmarshal([]byte(r.Out), &res); err != nil || r.Code != cmdutil.ExitError || res.Outcome != ReleaseFrontendFailed || res.Frontend.After != "web2" ||
		!strings.Contains(strings.Join(res.Recover, "\n"), "empctl rollback frontend --env prod --to web1") {
		t.Errorf("exit %d, result %+v (%v)", r.Code, res, err)
	}
}

func TestReleaseDryRunPrintsBothPlans(t *testing.T) {
	fake := fakeEnv()
	fake.Frontend = env.Frontend{Release: "web2", Files: 13, DryRun: true, Uploads: []string{"index.html"}, Uploaded: 1}
	r := cmdtest.Run(t, releaseCmd(t), fake, "--dry-run")
	if r.Code != 0 || !strings.Contains(r.Out, "Would deploy v2 to prod") || !strings.Contains(r.Out, "+ index.html") {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.Out)
	}
	if _, called := fake.Called("DeployBackend"); called {
		t.Error("a dry run rolled the backend out")
	}
	if arg, _ := fake.Called("DeployFrontend"); !arg.(envtest.FrontendCall).Opts.DryRun {
		t.Error("the webapp's plan was not a dry run")
	}
	r = cmdtest.Run(t, releaseCmd(t), fake, "--dry-run", "-o", "json")
	var res ReleaseResult
	if err := json.Unmarshal([]byte(r.Out), &res); err != nil || res.Outcome != ReleaseDryRun || res.Backend.Plan == nil || res.Frontend.Release == nil || res.Frontend.Release.Uploads[0] != "index.html" {
		t.Errorf("dry-run JSON %+v (%v)", res, err)
	}
}
