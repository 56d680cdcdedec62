package up

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/testenv"
)

// A real `empctl up` in an 80x24 tmux pane, a `deploy backend --force` from
// another shell, then `empctl down`: the URL and the demo user stay on the
// screen, the scrollback holds no copies of it, and the last line says the
// stack stopped.
func TestUpScreenInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		testenv.Missing(t, "tmux", "install it (Debian: apt-get install tmux; .ci/lib/15-tmux.sh does)")
	}
	root := localtest.RepoRoot(t)
	bin := filepath.Join(t.TempDir(), "empctl")
	build := exec.Command("go", "build", "-o", bin, "./cmd/empctl")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building empctl: %v\n%s", err, out)
	}
	// The project: a copy of the server's sources, which up and deploy build.
	proj := t.TempDir()
	for _, p := range []string{"go.mod", "go.sum", "cmd", "pkg", "server"} {
		if out, err := exec.Command("cp", "-r", filepath.Join(root, p), proj).CombinedOutput(); err != nil {
			t.Fatalf("copying %s: %v\n%s", p, err, out)
		}
	}

	sock := "empctl-up-test-" + filepath.Base(proj)
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g history-limit 10000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-L", sock, "-f", conf}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	exited := filepath.Join(proj, "up-exited")
	// NO_COLOR is unset so the pane gets colour; capture-pane leaves it out.
	up := bin + " -C " + proj + " up --no-webapp --listen 127.0.0.1:0 --health-interval 250ms --drain-delay 200ms --stop-timeout 5s" +
		"; echo $? >" + exited + "; exec sleep 100000"
	run("new-session", "-d", "-x", "80", "-y", "24", "-s", "up", "env -u NO_COLOR sh -c '"+up+"'")
	t.Cleanup(func() {
		_ = exec.Command(bin, "-C", proj, "down").Run()
		_ = exec.Command(tmux, "-L", sock, "kill-server").Run()
	})
	pane := func() []string {
		return strings.Split(strings.TrimRight(run("capture-pane", "-p", "-t", "up"), "\n"), "\n")
	}
	// Polling, as a pane has no events to wait on; the deadline is only a
	// bound for a stuck run, far beyond what a slow machine takes.
	waitFor := func(what string, ok func([]string) bool) []string {
		t.Helper()
		deadline := time.Now().Add(4 * time.Minute)
		for {
			lines := pane()
			if ok(lines) {
				return lines
			}
			if _, err := os.Stat(exited); err == nil && what != "the closing line" || time.Now().After(deadline) {
				t.Fatalf("waiting for %s; the pane shows:\n%s", what, strings.Join(lines, "\n"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	headerOnTop := func(lines []string) bool {
		return len(lines) > 1 && strings.Contains(lines[0], "the app is at http://127.0.0.1:") &&
			strings.Contains(lines[1], "Demo user: demo@example.com  password: ")
	}
	checkPane := func(when string, lines []string) {
		t.Helper()
		if len(lines) > 24 {
			t.Errorf("%s: %d lines in a 24-row pane", when, len(lines))
		}
		for _, l := range lines {
			if len([]rune(l)) > 80 {
				t.Errorf("%s: a line wider than the pane: %q", when, l)
			}
		}
	}
	// The screen fills the pane once enough events are listed.
	checkPane("serving", waitFor("the screen with the URL on top", func(l []string) bool { return headerOnTop(l) && strings.Contains(strings.Join(l, "\n"), "REPLICA") }))

	deploy := exec.Command(bin, "-C", proj, "deploy", "backend", "--force")
	deploy.Env = append(os.Environ(), "NO_COLOR=1")
	done := make(chan error, 1)
	out := &strings.Builder{}
	deploy.Stdout, deploy.Stderr = out, out
	if err := deploy.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- deploy.Wait() }()
	// While the rollout runs, every capture has the URL and the demo user on top.
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("deploy backend --force: %v\n%s", err, out)
			}
			running = false
		case <-time.After(300 * time.Millisecond):
		}
		lines := pane()
		if !headerOnTop(lines) {
			t.Fatalf("during the rollout the URL and the demo user left the top:\n%s", strings.Join(lines, "\n"))
		}
		checkPane("during the rollout", lines)
	}
	waitFor("the rollout's end on the screen", func(l []string) bool { return strings.Contains(strings.Join(l, "\n"), "completed") })

	if out, err := exec.Command(bin, "-C", proj, "down").CombinedOutput(); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	lines := waitFor("the closing line", func(l []string) bool {
		_, err := os.Stat(exited)
		return err == nil
	})
	checkPane("stopped", lines)
	if !headerOnTop(lines) || !strings.Contains(lines[len(lines)-1], "✓ The local environment stopped.") {
		t.Fatalf("after down, the URL on top and the closing line last, got:\n%s", strings.Join(lines, "\n"))
	}
	if code, _ := os.ReadFile(exited); strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("up exited with %s", code)
	}
	// Redrawn in place: the pane's history has the header once at most
	// (the screen clear that tmux keeps a copy of is gone).
	all := run("capture-pane", "-p", "-t", "up", "-S", "-", "-E", "-")
	if n := strings.Count(all, "Demo user: "); n != 1 {
		t.Fatalf("the header is %d times in the pane and its history:\n%s", n, all)
	}
}
