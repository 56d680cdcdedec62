package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the signal tests run main() itself in a child process: the
// test binary re-executes itself with EMPCTL_SERVER_RUN_MAIN set.
func TestMain(m *testing.M) {
	if os.Getenv("EMPCTL_SERVER_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is the real server binary's main() in a child process.
type process struct {
	cmd  *exec.Cmd
	addr string
	done chan error
	mu   sync.Mutex
	out  strings.Builder // stdout, complete once the process ended
}

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startProcess(t *testing.T, env ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0]) // no arguments: main() reads os.Args
	cmd.Env = append(os.Environ(), "EMPCTL_SERVER_RUN_MAIN=1", "HOST=127.0.0.1", "PORT=0",
		"DATABASE_URL=sqlite://"+filepath.Join(t.TempDir(), "signal.db"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
		return p
	case err := <-p.done:
		p.done <- err
		t.Fatalf("server exited before listening: %v\n%s", err, p.logs())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return nil
}

func (p *process) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit")
		return nil
	}
}

// TestSIGTERMExitsZero sends a real SIGTERM to the real main(): it shuts
// down gracefully and exits 0, which is what ECS expects of a stopped task.
func TestSIGTERMExitsZero(t *testing.T) {
	p := startProcess(t, "DRAIN_DELAY=0s")
	res, err := http.Get("http://" + p.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0\n%s", err, p.logs())
	}
	if !strings.Contains(p.logs(), `"msg":"shutdown: complete"`) {
		t.Fatalf("no graceful shutdown in the log:\n%s", p.logs())
	}
}

// TestSecondSignalSkipsTheDrain: Ctrl-C twice ends the process at once
// instead of waiting out a long drain delay.
func TestSecondSignalSkipsTheDrain(t *testing.T) {
	p := startProcess(t, "DRAIN_DELAY=10m")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The second signal counts only once the first one has been handled.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.logs(), "shutdown: draining") {
		if time.Now().After(deadline) {
			t.Fatal("first SIGINT not handled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := p.wait(t); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Fatalf("after a second SIGINT: %v, want death by SIGINT", err)
	}
}
