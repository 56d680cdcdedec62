package srcversion

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The server's inputs in this repository: its packages' Go files and embedded
// files, go.mod and go.sum, and nothing of the webapp, terraform/ or tests.
func TestGoInputsOfTheServer(t *testing.T) {
	specs, err := GoInputs(context.Background(), filepath.Join("..", ".."), "./cmd/server")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.mod", "go.sum", ":(glob)cmd/server/*.go", ":(glob)server/*.go", ":(glob)server/store/migrations", ":(glob)server/commonpw/passwords.txt", ":(glob)pkg/buildinfo/*.go", ":(exclude,glob)**/*_test.go"} {
		if !slices.Contains(specs, want) {
			t.Errorf("missing %q in %q", want, specs)
		}
	}
	for _, s := range specs {
		if strings.Contains(s, "webapp") || strings.Contains(s, "terraform") || strings.Contains(s, "pkg/cmd") {
			t.Errorf("the server does not build from %q", s)
		}
	}
}

// A module whose server and webapp live side by side: each tier's edits move
// only its own version, committed or not.
func TestEachTierKeepsItsVersionWhenTheOtherChanges(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n\ngo 1.22\n")
	write("cmd/server/main.go", "package main\n\nimport _ \"example.com/app/lib\"\n\nfunc main() {}\n")
	write("lib/lib.go", "package lib\n")
	write("lib/lib_test.go", "package lib\n")
	write("webapp/index.html", "<p>A</p>\n")
	run(t, dir, "git", "init", "-q")
	run(t, dir, "git", "add", "-A")
	run(t, dir, "git", "commit", "-qm", "one")
	ctx := context.Background()
	server := func() Source {
		t.Helper()
		specs, err := GoInputs(ctx, dir, "./cmd/server")
		if err != nil {
			t.Fatal(err)
		}
		s, err := DescribePaths(ctx, dir, specs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	webapp := func() Source {
		t.Helper()
		s, err := DescribePaths(ctx, dir, []string{"webapp"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s0, w0 := server(), webapp()
	if s0.Dirty || w0.Dirty {
		t.Fatalf("clean tree described as dirty: %+v %+v", s0, w0)
	}

	// Webapp edits, an untracked empctl.yaml, a README and a test change: the server's version holds.
	write("webapp/index.html", "<p>B</p>\n")
	write("empctl.yaml", "environments: {}\n")
	write("lib/README.md", "notes\n")
	write("lib/lib_test.go", "package lib\n\n// more\n")
	if s := server(); s != s0 {
		t.Errorf("server version moved with the webapp and untracked files: %+v → %+v", s0, s)
	}
	if w := webapp(); !w.Dirty || w.Version == w0.Version {
		t.Errorf("the webapp's edit did not change its version: %+v", w)
	}
	run(t, dir, "git", "add", "-A")
	run(t, dir, "git", "commit", "-qm", "webapp only")
	if s := server(); s != s0 {
		t.Errorf("a webapp-only commit moved the server's version: %+v → %+v", s0, s)
	}

	// A server edit: a new Go file, then a deleted one, each move it; the webapp's holds.
	w1 := webapp()
	write("lib/more.go", "package lib\n")
	s1 := server()
	if !s1.Dirty || s1.Version == s0.Version {
		t.Errorf("a new Go file did not change the server's version: %+v", s1)
	}
	if w := webapp(); w != w1 {
		t.Errorf("a server edit moved the webapp's version: %+v → %+v", w1, w)
	}
	run(t, dir, "git", "add", "-A")
	run(t, dir, "git", "commit", "-qm", "server")
	s2 := server()
	if s2.Dirty || s2.Commit == s0.Commit {
		t.Errorf("after the server's commit: %+v", s2)
	}
	if err := os.Remove(filepath.Join(dir, "lib", "more.go")); err != nil {
		t.Fatal(err)
	}
	if s := server(); !s.Dirty {
		t.Errorf("a deleted Go file did not make the server dirty: %+v", s)
	}
}
