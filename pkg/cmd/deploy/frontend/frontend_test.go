package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/s3sync"
)

func cmdWithBuild(build func(context.Context, string, io.Writer) (string, bool, error)) func(*cmdutil.Factory) *cobra.Command {
	return func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdFrontend(f, func(o *Options) error {
			o.Build = build
			return Run(context.Background(), o)
		})
	}
}

func TestPublishesTheBuild(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &envtest.Fake{Frontend: env.Frontend{Release: "r2", Files: 12, Retained: 3}}
	r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }), fake,
		"--concurrency", "4", "--keep", "5", "--no-wait")
	if r.Code != 0 || !strings.Contains(r.Out, "release r2 is live") {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.Out)
	}
	arg, _ := fake.Called("DeployFrontend")
	if c := arg.(envtest.FrontendCall); c.Dist != dist || c.Opts != (env.FrontendOptions{Concurrency: 4, Keep: 5, NoWait: true}) {
		t.Fatalf("DeployFrontend got %+v", c)
	}
}

// The defaults: 64 uploads at once (the speed target cannot be met
// at 16, see s3sync.DefaultConcurrency), the last 3 releases kept.
func TestDefaults(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &envtest.Fake{Frontend: env.Frontend{Release: "r2", Files: 12}}
	r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }), fake)
	if r.Code != 0 {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.Out)
	}
	arg, _ := fake.Called("DeployFrontend")
	want := env.FrontendOptions{Concurrency: s3sync.DefaultConcurrency, Keep: s3sync.DefaultKeep}
	if c := arg.(envtest.FrontendCall); c.Opts != want || c.Opts.Concurrency != 64 || c.Opts.Keep != 3 {
		t.Fatalf("DeployFrontend got %+v, want %+v (64 at once, keep 3)", c.Opts, want)
	}
}

// lockProbe is the fake environment, checking that the command holds the
// project's webapp lock while it publishes.
type lockProbe struct {
	*envtest.Fake
	t   *testing.T
	dir string
}

func (p *lockProbe) DeployFrontend(ctx context.Context, dist string, opts env.FrontendOptions, progress func(env.Event)) (env.Frontend, error) {
	if !webappLocked(p.t, p.dir) {
		p.t.Error("publishing without the webapp lock: another deploy or `empctl up` could rebuild the folder meanwhile")
	}
	return p.Fake.DeployFrontend(ctx, dist, opts, progress)
}

// webappLocked reports whether something holds dir's webapp lock.
// webappLocked tries the lock without waiting: a waiter (LockWebapp with a
// cancelled context) would take it in the background once it is free.
func webappLocked(t *testing.T, dir string) bool {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, ".empctl", "cache", "webapp.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}

// The build and the publish from the build folder happen under the project's
// webapp lock, released when the command ends.
func TestHoldsTheWebappLock(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	probe := &lockProbe{Fake: &envtest.Fake{Frontend: env.Frontend{Release: "r2", Files: 1}}, t: t}
	r := cmdtest.Run(t, cmdWithBuild(func(_ context.Context, dir string, _ io.Writer) (string, bool, error) {
		probe.dir = dir
		if !webappLocked(t, dir) {
			t.Error("building without the webapp lock")
		}
		return dist, true, nil
	}), probe)
	if r.Code != 0 || probe.dir == "" {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.Out)
	}
	if _, called := probe.Called("DeployFrontend"); !called {
		t.Fatal("nothing was published")
	}
	if webappLocked(t, probe.dir) {
		t.Error("the webapp lock is still held after the command")
	}
}

// When the release went live and the CloudFront invalidation then failed,
// the command still says what is live (text, or JSON with the error) and
// fails.
func TestLiveReleaseWithAFailedInvalidationIsReported(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil })
	failed := errors.New("release r3 is live; waiting for CloudFront invalidation I1: throttled")
	fake := &envtest.Fake{Frontend: env.Frontend{Release: "r3", Files: 12, Invalidation: "I1"}, FrontendErr: failed}

	r := cmdtest.Run(t, build, fake, "-o", "json")
	if r.Code != cmdutil.ExitError || !errors.Is(r.Err, failed) {
		t.Fatalf("exit %d (%v), want %d with the invalidation's error", r.Code, r.Err, cmdutil.ExitError)
	}
	var got struct {
		Release      string `json:"release"`
		Invalidation string `json:"invalidation"`
		Error        string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil {
		t.Fatalf("-o json printed no summary (%v):\n%s", err, r.Out)
	}
	if got.Release != "r3" || got.Invalidation != "I1" || got.Error != failed.Error() {
		t.Fatalf("JSON summary %+v, want release r3, invalidation I1 and the error", got)
	}

	r = cmdtest.Run(t, build, fake)
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Out, "release r3 is live") || !strings.Contains(r.Out, "invalidation I1 was created, but it was not seen to complete") {
		t.Fatalf("exit %d (%v), want the live release and the unfinished wait:\n%s", r.Code, r.Err, r.Out)
	}

	// Not even created: a deploy retries it.
	fake = &envtest.Fake{Frontend: env.Frontend{Release: "r3", Files: 12}, FrontendErr: errors.New("release r3 is live in the bucket, but ...: access denied")}
	r = cmdtest.Run(t, build, fake)
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Out, "release r3 is live") || !strings.Contains(r.Out, "invalidation failed") || !strings.Contains(r.Out, "until a deploy") {
		t.Fatalf("exit %d (%v), want the live release and the failed invalidation:\n%s", r.Code, r.Err, r.Out)
	}
}

// The local stack's dry run names the release it would replace.
func TestLocalDryRunSaysWhatItWouldReplace(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &envtest.Fake{Frontend: env.Frontend{DryRun: true, Files: 2, Replaces: "20260101T000000.000000000"}}
	r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }), fake, "--dry-run")
	want := "Would publish 2 files as a new release, replacing release 20260101T000000.000000000\nDry run: nothing was changed.\n"
	if r.Code != 0 || r.Out != want {
		t.Fatalf("exit %d (%v), output:\n%s\nwant:\n%s", r.Code, r.Err, r.Out, want)
	}
}

func TestBadBuildsChangeNothing(t *testing.T) {
	empty := t.TempDir()
	for name, build := range map[string]func(context.Context, string, io.Writer) (string, bool, error){
		"build fails": func(_ context.Context, _ string, log io.Writer) (string, bool, error) {
			return "", false, errors.New("ng build failed")
		},
		"no index.html": func(context.Context, string, io.Writer) (string, bool, error) { return empty, true, nil },
	} {
		t.Run(name, func(t *testing.T) {
			fake := &envtest.Fake{}
			r := cmdtest.Run(t, cmdWithBuild(build), fake)
			if r.Code != cmdutil.ExitError {
				t.Fatalf("exit %d, want %d", r.Code, cmdutil.ExitError)
			}
			if _, called := fake.Called("DeployFrontend"); called {
				t.Fatal("published a bad build")
			}
		})
	}
	// --no-build without a build says how to make one.
	r := cmdtest.Run(t, func(f *cmdutil.Factory) *cobra.Command { return NewCmdFrontend(f, nil) }, &envtest.Fake{}, "--no-build")
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Err.Error(), "make -C webapp build") {
		t.Fatalf("--no-build without a build: exit %d, %v", r.Code, r.Err)
	}
	if r := cmdtest.Run(t, cmdWithBuild(nil), &envtest.Fake{}, "--keep", "0"); r.Code != cmdutil.ExitUsage {
		t.Fatalf("--keep 0: exit %d", r.Code)
	}
}

// Ctrl-C during the publish exits 130, as every interrupted command does.
func TestInterruptedPublishExits130(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &envtest.Fake{FrontendErr: fmt.Errorf("uploading assets: %w; the live site is unchanged, run the deploy again", context.Canceled)}
	r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }), fake)
	if r.Code != cmdutil.ExitCancel {
		t.Fatalf("exit %d (%v), want %d", r.Code, r.Err, cmdutil.ExitCancel)
	}
}

// A dry run of the live build says it is already live, as the publish would.
func TestDryRunOfTheLiveBuildSaysItIsLive(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &envtest.Fake{Frontend: env.Frontend{DryRun: true, Unchanged: true, Release: "r1", Files: 2, UnchangedFiles: 2}}
	r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil }), fake, "--dry-run")
	want := "Webapp release r1 is already live with this build: nothing would be published\nDry run: nothing was changed.\n"
	if r.Code != 0 || r.Out != want {
		t.Fatalf("exit %d (%v), output:\n%s\nwant:\n%s", r.Code, r.Err, r.Out, want)
	}
}

// An environment that cannot be deployed to (the local stack not running,
// AWS without credentials or outputs) is named before any build starts.
func TestMissingEnvironmentFailsBeforeTheBuild(t *testing.T) {
	built := false
	fake := &envtest.Fake{CheckErr: errors.New("the local environment is not running: start it with `empctl up`")}
	r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) {
		built = true
		return "", true, nil
	}), fake)
	if r.Code != cmdutil.ExitError || !errors.Is(r.Err, fake.CheckErr) {
		t.Fatalf("exit %d (%v), want %d with the environment's error", r.Code, r.Err, cmdutil.ExitError)
	}
	if built {
		t.Fatal("the webapp was built for an environment that is not there")
	}
	if strings.Contains(r.ErrOut, "Building") {
		t.Fatalf("said it was building:\n%s", r.ErrOut)
	}
}

// The build says that it runs, then whether it built or found the build up
// to date.
func TestSaysWhetherItBuilt(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		built bool
		want  string
	}{{true, "Built the webapp in "}, {false, "Webapp build up to date"}} {
		fake := &envtest.Fake{Frontend: env.Frontend{Release: "r2", Files: 1}}
		r := cmdtest.Run(t, cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, tc.built, nil }), fake)
		if r.Code != 0 || !strings.Contains(r.ErrOut, "Building the webapp") || !strings.Contains(r.ErrOut, tc.want) {
			t.Fatalf("built=%v: exit %d (%v), stderr:\n%s\nwant %q", tc.built, r.Code, r.Err, r.ErrOut, tc.want)
		}
	}
}
