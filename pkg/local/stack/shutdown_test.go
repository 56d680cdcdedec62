package stack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"

	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
)

// alive reports whether pid is a live process (a zombie counts as gone).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// A rollout in progress when the stack shuts down ends, its new replicas are
// stopped with the old ones, and a rollout asked for afterwards starts nothing.
func TestShutdownStopsTheReplicasOfARolloutInProgress(t *testing.T) {
	s := startStack(t, fastOptions(t), localtest.FakeRelease(t, "v1"))
	never := localtest.FakeRelease(t, "v2-never-ready")
	never.Env["FAKE_NEVER_READY"] = "1"
	deployed := make(chan error, 1)
	go func() {
		_, err := s.Deploy(context.Background(), never, nil)
		deployed <- err
	}()
	var pids []int
	waitFor(t, "the rollout's replicas", func() bool {
		st := s.Status()
		pids = pids[:0]
		for _, tg := range st.Targets {
			pids = append(pids, tg.PID)
		}
		return len(pids) == 6
	})
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-deployed; !errors.Is(err, stack.ErrClosing) || errors.Is(err, env.ErrRolloutFailed) {
		t.Fatalf("the rollout interrupted by the shutdown: %v, want stack.ErrClosing (not a failed rollout)", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("replica pid %d outlived the shutdown", pid)
		}
	}
	if _, err := s.Deploy(context.Background(), localtest.FakeRelease(t, "v3"), nil); !errors.Is(err, stack.ErrClosing) || !strings.Contains(err.Error(), "start it again") {
		t.Fatalf("a deploy after the shutdown: %v, want ErrClosing saying what to do", err)
	}
	if _, err := s.Rollback(context.Background(), nil); !errors.Is(err, stack.ErrClosing) {
		t.Fatalf("a rollback after the shutdown: %v, want ErrClosing", err)
	}
	if n := len(s.Status().Targets); n != 0 {
		t.Fatalf("%d replicas after the shutdown", n)
	}
}

// fakeUpMain (EMPCTL_FAKE_UP=1) runs a stack of fake replicas, prints their
// pids as one JSON line and waits to be killed: a stand-in for `empctl up`.
func fakeUpMain() int {
	exe, err := os.Executable()
	if err != nil {
		return 1
	}
	dir, err := os.MkdirTemp("", "empctl-fake-up-")
	if err != nil {
		return 1
	}
	rel := &stack.Release{Version: "v1", Binary: exe, Args: []string{"-test.run=^$"}, Env: map[string]string{"EMPCTL_FAKE_REPLICA": "1"}}
	s, err := stack.Start(context.Background(), stack.Options{StateDir: dir, Listen: "127.0.0.1:0", Replicas: 2, Env: map[string]string{"DRAIN_DELAY": "0s"},
		Health: balancer.HealthCheck{Path: "/readyz", Interval: 50 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}}, rel)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var pids []int
	for _, tg := range s.Status().Targets {
		pids = append(pids, tg.PID)
	}
	_ = json.NewEncoder(os.Stdout).Encode(pids)
	select {}
}

// A replica must not outlive its `empctl up`, even when up is SIGKILLed and
// cannot stop it.
func TestReplicasDieWithAKilledParent(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "EMPCTL_FAKE_UP=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&pids); err != nil || len(pids) != 2 {
		_ = cmd.Process.Kill()
		t.Fatalf("the fake up's replicas: %v, %v", pids, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, pid := range pids {
		waitFor(t, fmt.Sprintf("replica pid %d to die with its parent", pid), func() bool { return !alive(pid) })
	}
}
