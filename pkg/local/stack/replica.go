package stack

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
	"strings"
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
	logPath string

	exited  chan struct{} // closed when the process has exited
	exitErr error         // set before exited is closed

	mu       sync.Mutex
	state    string // running, draining, stopping, stopped
	stopping bool   // a stop was asked for: its exit is not a failure
}

// startReplica starts rel's binary on a loopback port that this process binds
// and hands over (LISTEN_FD=3): a port only chosen here could be taken by
// another process before the replica binds it, and the replica would die at
// start. PORT is set too, for a binary that ignores LISTEN_FD.
func startReplica(rel *Release, logDir string, env []string) (*replica, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("opening a loopback port for a replica: %w", err)
	}
	sock, err := ln.(*net.TCPListener).File()
	_ = ln.Close() // sock is a copy; the child gets its own
	if err != nil {
		return nil, fmt.Errorf("handing over a replica's port: %w", err)
	}
	defer func() { _ = sock.Close() }()
	port := ln.Addr().(*net.TCPAddr).Port
	id := "local-" + randomHex(3)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, id+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the replica log: %w", err)
	}
	defer func() { _ = logFile.Close() }() // the child has its own copy
	r := &replica{id: id, rel: rel, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), logPath: logPath, exited: make(chan struct{}), state: "running"}
	cmd := exec.Command(rel.Binary, rel.Args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "LISTEN_FD=3", "INSTANCE_ID="+id, "APP_VERSION="+rel.Version)
	cmd.ExtraFiles = []*os.File{sock} // fd 3 in the child
	for k, v := range rel.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// The replica writes its log (a line per request) straight to the file:
	// copying it through a pipe would cost this process, which also runs
	// the load balancer, two system calls per request.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = replicaProcAttr()
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", rel.Binary, err)
	}
	r.cmd, r.started = cmd, time.Now()
	go func() {
		r.exitErr = cmd.Wait()
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lastLogLines returns up to n last lines of the replica's log.
func (r *replica) lastLogLines(n int) []string {
	const window = 16 << 10 // enough for n lines of a JSON log
	f, err := os.Open(r.logPath)
	if err != nil {
		return []string{"(log unreadable: " + err.Error() + ")"}
	}
	defer func() { _ = f.Close() }()
	size, _ := f.Seek(0, io.SeekEnd)
	off := max(size-window, 0)
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return []string{"(log unreadable: " + err.Error() + ")"}
	}
	if off > 0 { // the first line is cut
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	text := strings.TrimRight(string(buf), "\n")
	if text == "" {
		return nil
	}
	return lastN(strings.Split(text, "\n"), n)
}

func lastN(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
