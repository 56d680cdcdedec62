package srcversion

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func describe(t *testing.T, dir string) Source {
	t.Helper()
	s, err := Describe(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDescribe(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	dir := t.TempDir()
	run(t, dir, "git", "init", "-q")
	write(t, filepath.Join(dir, "a.go"), "package a\n")
	write(t, filepath.Join(dir, ".gitignore"), "/ignored\n")
	run(t, dir, "git", "add", ".")
	run(t, dir, "git", "commit", "-q", "-m", "one")
	head := run(t, dir, "git", "rev-parse", "HEAD")

	clean := describe(t, dir)
	if clean.Commit != head || clean.Dirty || clean.Version != head[:7] {
		t.Fatalf("clean tree: got %+v, want version %s, commit %s", clean, head[:7], head)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !clean.Time.Equal(want) {
		t.Errorf("time = %v, want the commit time %v", clean.Time, want)
	}
	run(t, dir, "git", "tag", "v1.2.0")
	if v := describe(t, dir).Version; v != "v1.2.0" {
		t.Errorf("tagged: version %q, want v1.2.0", v)
	}

	write(t, filepath.Join(dir, "ignored"), "x")
	if s := describe(t, dir); s.Dirty {
		t.Errorf("an ignored file made the tree dirty: %+v", s)
	}

	write(t, filepath.Join(dir, "a.go"), "package a // one\n")
	one := describe(t, dir)
	if !one.Dirty || !regexp.MustCompile(`^v1\.2\.0-dirty-[0-9a-f]{8}$`).MatchString(one.Version) {
		t.Fatalf("modified tree: got %+v, want v1.2.0-dirty-<8 hex>", one)
	}
	if again := describe(t, dir); again.Version != one.Version {
		t.Errorf("the same changes gave two versions: %s, %s", one.Version, again.Version)
	}
	write(t, filepath.Join(dir, "a.go"), "package a // two\n")
	if two := describe(t, dir); two.Version == one.Version {
		t.Errorf("different changes share version %s", two.Version)
	}

	write(t, filepath.Join(dir, "a.go"), "package a\n")
	write(t, filepath.Join(dir, "b.go"), "package a\n")
	untracked := describe(t, dir)
	if !untracked.Dirty {
		t.Errorf("an untracked file left the tree clean: %+v", untracked)
	}
	write(t, filepath.Join(dir, "b.go"), "package a // b\n")
	if s := describe(t, dir); s.Version == untracked.Version {
		t.Errorf("changing an untracked file kept version %s", s.Version)
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	s := describe(t, t.TempDir())
	if s.Version != "dev" || s.Commit != "" || s.Time.Unix() != 1700000000 {
		t.Errorf("outside git with SOURCE_DATE_EPOCH: got %+v", s)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Describe(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: err = %v", err)
	}
}
