package local

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// replica is one server process: the local counterpart of an ECS task.
type replica struct {
	id      string
	rel     *Release
	addr    string
	cmd     *exec.Cmd
	started time.Time
	tail    *lineTail

	exited  chan struct{} // closed when the process has exited
	exitErr error         // set before exited is closed

	mu       sync.Mutex
	state    string // running, draining, stopping, stopped
	stopping bool   // a stop was asked for: its exit is not a failure
}

const tailLines = 40

// startReplica starts rel's binary listening on a free loopback port.
func startReplica(rel *Release, logDir string, env []string) (*replica, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	id := "local-" + randomHex(3)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(logDir, id+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the replica log: %w", err)
	}
	r := &replica{id: id, rel: rel, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), tail: newLineTail(tailLines), exited: make(chan struct{}), state: "running"}
	cmd := exec.Command(rel.Binary, rel.Args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "INSTANCE_ID="+id, "APP_VERSION="+rel.Version)
	for k, v := range rel.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := io.MultiWriter(logFile, r.tail)
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group: a Ctrl-C on the terminal reaches empctl, which stops
	// the replicas in order, rather than every replica at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", rel.Binary, err)
	}
	r.cmd, r.started = cmd, time.Now()
	go func() {
		r.exitErr = cmd.Wait()
		_ = logFile.Close()
		r.setState("stopped")
		close(r.exited)
	}()
	return r, nil
}

func (r *replica) setState(s string) {
	r.mu.Lock()
	r.state = s
	r.mu.Unlock()
}

func (r *replica) getState() (state string, stopping bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, r.stopping
}

func (r *replica) pid() int {
	if r.cmd == nil || r.cmd.Process == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

// markStopping records that the replica's exit is expected.
func (r *replica) markStopping(state string) {
	r.mu.Lock()
	r.stopping = true
	if r.state != "stopped" {
		r.state = state
	}
	r.mu.Unlock()
}

// stop sends SIGTERM, then SIGKILL if the process has not exited after timeout,
// and waits for it to exit.
func (r *replica) stop(timeout time.Duration) {
	r.markStopping("stopping")
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(timeout):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}

// exitReason describes how the process ended.
func (r *replica) exitReason() string {
	var ee *exec.ExitError
	if errors.As(r.exitErr, &ee) {
		return ee.String()
	}
	if r.exitErr != nil {
		return r.exitErr.Error()
	}
	return "exit status 0"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lineTail keeps the last n lines written to it.
type lineTail struct {
	mu      sync.Mutex
	n       int
	lines   []string
	partial []byte
}

func newLineTail(n int) *lineTail { return &lineTail{n: n} }

func (t *lineTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if len(t.lines) > t.n {
		t.lines = append([]string(nil), t.lines[len(t.lines)-t.n:]...)
	}
	return len(p), nil
}

// Lines returns the kept lines, oldest first, with any unterminated last line.
func (t *lineTail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if len(t.partial) > 0 {
		out = append(out, string(t.partial))
	}
	return out
}
