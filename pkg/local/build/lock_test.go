package build

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeWebapp writes a webapp whose build fails if another build of it is
// running (the mkdir of a marker folder is atomic), and writes its files one
// after the other with a pause, so that a reader copying dist meanwhile sees
// an index.html that names a bundle of another build.
func fakeWebapp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	web := filepath.Join(dir, "webapp")
	if err := os.MkdirAll(filepath.Join(web, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"package.json": "{}",
		"src/main.ts":  "console.log(1)",
		"Makefile": "build:\n\tmkdir ../building && " +
			"rm -rf dist && mkdir -p dist/webapp/browser && id=$$$$ && " +
			"echo $$id > dist/webapp/browser/main-$$id.js && sleep 0.2 && " +
			"echo $$id > dist/webapp/browser/index.html && rmdir ../building\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(web, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// copyBuild reads the build the way a publish does, and checks it is whole:
// index.html names a bundle that is there.
func copyBuild(dist string) error {
	index, err := os.ReadFile(filepath.Join(dist, "index.html"))
	if err != nil {
		return err
	}
	id := strings.TrimSpace(string(index))
	if _, err := os.Stat(filepath.Join(dist, "main-"+id+".js")); err != nil {
		return errors.New("index.html names main-" + id + ".js, which the build folder does not hold: another build replaced it meanwhile")
	}
	return nil
}

// TestWebappLockSerializesBuildsAndCopies: builds and copies of one project's
// webapp, from several goroutines, one at a time under LockWebapp: no build
// overlaps another, and no copy sees a build in progress.
func TestWebappLockSerializesBuildsAndCopies(t *testing.T) {
	dir := fakeWebapp(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	start := make(chan struct{})
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 2 {
				unlock, err := LockWebapp(t.Context(), dir, "test", nil)
				if err != nil {
					errs <- err
					return
				}
				// Odd ones force a rebuild; even ones find it done.
				dist, _, err := Webapp(t.Context(), dir, i%2 == 1, io.Discard)
				if err == nil {
					err = copyBuild(dist)
				}
				unlock()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestWebappLockAcrossProcesses: another process holding the lock makes
// LockWebapp wait, saying who holds it, until that process lets go; a
// cancelled wait returns.
func TestWebappLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	release := holdLockInAnotherProcess(t, dir)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := LockWebapp(ctx, dir, "test", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait for a held lock returned %v", err)
	}

	var holder string
	got := make(chan error, 1)
	waiting := make(chan struct{})
	go func() {
		unlock, err := LockWebapp(t.Context(), dir, "test", func(h string) { holder = h; close(waiting) })
		if err == nil {
			unlock()
		}
		got <- err
	}()
	<-waiting
	select {
	case err := <-got:
		t.Fatalf("took the lock (%v) while another process held it", err)
	default:
	}
	if !strings.Contains(holder, "the helper process (pid ") {
		t.Errorf("the wait named %q, want the holder and its pid", holder)
	}
	release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// holdLockInAnotherProcess runs this test binary again as a process that takes
// the lock on dir and holds it until release is called (its stdin closes).
func holdLockInAnotherProcess(t *testing.T, dir string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0]) // TestMain sees the variable
	cmd.Env = append(os.Environ(), "EMPCTL_TEST_HOLD_WEBAPP_LOCK="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		_ = cmd.Process.Kill()
		t.Fatalf("the helper process did not take the lock: %q, %v", line, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("the helper process: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("EMPCTL_TEST_HOLD_WEBAPP_LOCK"); dir != "" {
		unlock, err := LockWebapp(context.Background(), dir, "the helper process", nil)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		_, _ = io.Copy(io.Discard, os.Stdin)
		unlock()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
