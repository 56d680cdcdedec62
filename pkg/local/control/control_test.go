package control_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
)

// This test binary is also the fake replica of localtest.FakeRelease.
func TestMain(m *testing.M) {
	localtest.RunFakeReplica()
	os.Exit(m.Run())
}

func TestControlSocket(t *testing.T) {
	opts := localtest.Options(t)
	opts.Env = map[string]string{"DRAIN_DELAY": "200ms"}
	s, err := stack.Start(context.Background(), opts, localtest.FakeRelease(t, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if err := control.Serve(s); err != nil {
		t.Fatal(err)
	}
	if err := control.Serve(s); err == nil {
		t.Fatal("a second control socket in the same state directory was allowed")
	}
	c := control.NewClient(opts.StateDir)
	st, err := c.Status(context.Background())
	if err != nil || st.Version != "v1" || st.Endpoint != s.Endpoint() {
		t.Fatalf("status: %+v, %v", st, err)
	}
	var n int
	ro, err := c.Deploy(context.Background(), *localtest.FakeRelease(t, "v2"), func(env.Event) { n++ })
	if err != nil || ro.Version != "v2" || n == 0 {
		t.Fatalf("deploy through the socket: %+v, %v, %d events", ro, err, n)
	}
	broken := localtest.FakeRelease(t, "v3")
	broken.Env["FAKE_EXIT_AT_START"] = "1"
	if ro, err := c.Deploy(context.Background(), *broken, nil); !errors.Is(err, env.ErrRolloutFailed) || ro.Outcome != env.OutcomeFailed {
		t.Fatalf("broken deploy through the socket: %+v, %v", ro, err)
	}
	// The same build again: the kind crosses the socket, not just the text.
	if _, err := c.Deploy(context.Background(), *localtest.FakeRelease(t, "v2"), nil); !errors.Is(err, env.ErrSameBuild) {
		t.Fatalf("deploying the running build again: %v, want ErrSameBuild", err)
	}
	// A binary that cannot start is an error, not a tripped circuit breaker.
	missing := localtest.FakeRelease(t, "v4")
	missing.Binary = filepath.Join(t.TempDir(), "no-such-server")
	if _, err := c.Deploy(context.Background(), *missing, nil); err == nil || errors.Is(err, env.ErrRolloutFailed) {
		t.Fatalf("deploying a missing binary: %v, want a plain error", err)
	}
	// A kill crosses the socket; an unknown replica is an error of its own kind.
	if err := c.KillTarget(context.Background(), s.Status().Targets[0].ID); err != nil {
		t.Fatalf("killing a replica through the socket: %v", err)
	}
	if err := c.KillTarget(context.Background(), "local-nope"); !errors.Is(err, stack.ErrNoTarget) {
		t.Fatalf("killing an unknown replica: %v, want ErrNoTarget", err)
	}
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>v1</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if info, err := c.PublishFrontend(context.Background(), dist, nil); err != nil || info.Files != 1 {
		t.Fatalf("publishing the webapp through the socket: %+v, %v", info, err)
	}
	resp, err := http.Get(s.Endpoint() + "/some/route")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "<html>v1</html>" {
		t.Fatalf("the SPA route served %q", body)
	}
	if _, err := c.PublishFrontend(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "no index.html") {
		t.Fatalf("publishing a folder without index.html: %v", err)
	}
	if err := c.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if _, err := c.Status(context.Background()); !errors.Is(err, env.ErrNotRunning) {
		t.Fatalf("status after down: %v, want ErrNotRunning", err)
	}
}

// A stack that predates an endpoint (a dry run's plan) answers 404: the
// client says to restart it, and nothing is deployed.
func TestAnOlderStackIsNamed(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, control.SocketName)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, err = control.NewClient(dir).PlanDeploy(t.Context(), stack.Release{Version: "v2", Binary: "/bin/true"})
	if err == nil || !strings.Contains(err.Error(), "older than this empctl") || !strings.Contains(err.Error(), "empctl up") {
		t.Fatalf("plan against an older stack: %v", err)
	}
}
