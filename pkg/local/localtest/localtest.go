// Package localtest helps end-to-end tests run the local environment with the
// real API server built from ./cmd/server.
package localtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/build"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/stack"
)

// RepoRoot returns the module's root directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("finding the module root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

var (
	buildOnce sync.Once
	buildRel  *stack.Release
	buildErr  error
	buildLog  bytes.Buffer
)

// ServerRelease builds the real server once per test binary into a temporary
// state directory and returns it as a release.
func ServerRelease(t testing.TB) *stack.Release {
	t.Helper()
	buildOnce.Do(func() {
		var buildDir string
		buildDir, buildErr = os.MkdirTemp("", "empctl-e2e-build-")
		if buildErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			var bin *build.Binary
			if bin, buildErr = build.Server(ctx, RepoRoot(t), buildDir, &buildLog); buildErr == nil {
				buildRel = &stack.Release{Version: bin.Version, Binary: bin.Binary, Digest: bin.Digest}
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the real server: %v\n%s", buildErr, buildLog.String())
	}
	rel := *buildRel
	return &rel
}

// NeverReadyGrace is the health grace of tests that roll out a release
// that never turns ready, which fails only once the grace is over: far
// beyond the second or so a replica takes to turn healthy on a loaded
// machine, yet not so long that the test waits minutes.
const NeverReadyGrace = 30 * time.Second

// Options are fast local-environment options for tests: a 250 ms health
// check interval, short drain and deregistration delays, a SQLite database in
// a temporary directory. The health grace is `empctl up`'s (60 s): a limit,
// not a pace.
func Options(t testing.TB) stack.Options {
	dir := t.TempDir()
	return stack.Options{
		StateDir:            dir,
		Listen:              "127.0.0.1:0",
		Replicas:            3,
		DatabaseURL:         "sqlite://" + filepath.Join(dir, "app.db"),
		Env:                 map[string]string{"DRAIN_DELAY": "500ms", "SHUTDOWN_TIMEOUT": "5s"},
		Health:              balancer.HealthCheck{Path: "/readyz", Interval: 250 * time.Millisecond, Timeout: 2 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2},
		DeregistrationDelay: 2 * time.Second,
		StopTimeout:         10 * time.Second,
		HealthGrace:         60 * time.Second,
	}
}

// UpOptions are `empctl up`'s options as its flags default them (health
// checks every second, a 5 s deregistration delay, a 2 s drain), with a
// loopback port and a SQLite database of the test's own: what an end-to-end
// test runs against to prove what `empctl up` does.
func UpOptions(t testing.TB) stack.Options {
	dir := t.TempDir()
	return stack.Options{
		StateDir:    dir,
		Listen:      "127.0.0.1:0",
		DatabaseURL: "sqlite://" + filepath.Join(dir, "app.db"),
		Env:         map[string]string{"DRAIN_DELAY": stack.DefaultDrainDelay.String()},
		// The zero values of the rest are the stack's defaults, which are up's.
	}
}

// Start starts the local environment with the real server and its control
// socket, and stops it when the test ends.
func Start(t testing.TB, opts stack.Options) *stack.Stack {
	t.Helper()
	s, err := stack.Start(context.Background(), opts, ServerRelease(t))
	if err != nil {
		t.Fatalf("starting the local environment: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if err := control.Serve(s); err != nil {
		t.Fatal(err)
	}
	return s
}
