package srcversion

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// GoInputs returns the git pathspecs of what building pkgs (e.g.
// "./cmd/server") from the module at dir reads: the non-test Go files of
// every package of the module it imports, their embedded files, and
// go.mod/go.sum (which pin every other module). Deleted and new Go files
// count, since the pathspecs match by pattern; README files and tests do
// not, so editing them leaves the build's version alone.
func GoInputs(ctx context.Context, dir string, pkgs ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-deps", "-json=Dir,Standard,Module,EmbedPatterns"}, pkgs...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("listing the packages %s imports (go list -deps in %s): %w", strings.Join(pkgs, " "), dir, err)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	specs := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			Dir           string
			Standard      bool
			Module        *struct{ Main bool }
			EmbedPatterns []string
		}
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("reading go list's output: %w", err)
		}
		if p.Standard || p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		rel = filepath.ToSlash(rel)
		// :(glob) keeps * from crossing a slash: a package's own files only.
		specs = append(specs, ":(glob)"+path.Join(rel, "*.go"))
		for _, e := range p.EmbedPatterns {
			specs = append(specs, ":(glob)"+path.Join(rel, strings.TrimPrefix(e, "all:")))
		}
	}
	return append(specs, ":(exclude,glob)**/*_test.go"), nil
}
