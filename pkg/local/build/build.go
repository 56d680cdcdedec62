// Package build builds what the local environment runs: the API server
// binary, content-addressed and reproducible, and the webapp.
package build

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/empctl/empctl/pkg/srcversion"
	"github.com/empctl/empctl/pkg/treehash"
)

const buildinfoPkg = "github.com/empctl/empctl/pkg/buildinfo"

// Binary is a built server.
type Binary struct {
	Version string
	Binary  string
	// Digest is "sha256:" and the binary's SHA-256.
	Digest string
}

// Server builds ./cmd/server from srcDir into a content-addressed folder
// under stateDir/builds. The build is
// reproducible (-trimpath, no build date), so the same sources give the same
// digest and a deploy can tell "nothing changed" apart from a new build.
func Server(ctx context.Context, srcDir, stateDir string, log io.Writer) (*Binary, error) {
	// The version follows the server's own inputs only: a webapp edit or a
	// new empctl.yaml leaves it, and the build, alone.
	specs, err := srcversion.GoInputs(ctx, srcDir, "./cmd/server")
	if err != nil {
		return nil, err
	}
	src, err := srcversion.DescribePaths(ctx, srcDir, specs)
	if err != nil {
		return nil, err
	}
	version := src.Version
	ldflags := "-X " + buildinfoPkg + ".Version=" + version
	if src.Commit != "" {
		ldflags += " -X " + buildinfoPkg + ".Commit=" + src.Commit
	}
	builds := filepath.Join(stateDir, "builds")
	if err := os.MkdirAll(builds, 0o755); err != nil {
		return nil, err
	}
	tmp := filepath.Join(builds, "tmp-"+randomHex())
	defer func() { _ = os.Remove(tmp) }() // gone already once renamed into place
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", tmp, "./cmd/server")
	cmd.Dir = srcDir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = log, io.MultiWriter(log, &stderr)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the server (go build ./cmd/server in %s): %w\n%s", srcDir, err, strings.TrimSpace(stderr.String()))
	}
	digest, err := fileDigest(tmp)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(builds, digest[:12])
	bin := filepath.Join(dir, "server")
	if !isFile(bin) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, bin); err != nil {
			return nil, err
		}
	}
	return &Binary{Version: version, Binary: bin, Digest: "sha256:" + digest}, nil
}

// WebappDist returns the webapp's build output folder under srcDir (the one
// holding index.html), or "" when there is none.
func WebappDist(srcDir string) string {
	for _, p := range []string{"webapp/dist/webapp/browser", "webapp/dist/browser", "webapp/dist/webapp", "webapp/dist"} {
		if dir := filepath.Join(srcDir, p); isFile(filepath.Join(dir, "index.html")) {
			return dir
		}
	}
	return ""
}

// Webapp builds the webapp with `make -C webapp build` (which runs `npm ci`
// first when package-lock.json is newer than node_modules) unless the build
// there was made from the same sources: their content hash is kept in
// .empctl/cache/webapp-sources.sha256, so a checkout or a touch that changes
// no byte does not rebuild, and any edit does. force always builds. It
// returns the build folder, or "" and no error when the project has no webapp.
// Call it holding LockWebapp, until done with the build folder.
func Webapp(ctx context.Context, srcDir string, force bool, log io.Writer) (dist string, built bool, err error) {
	webapp := filepath.Join(srcDir, "webapp")
	if !isFile(filepath.Join(webapp, "package.json")) {
		return "", false, nil
	}
	stamp := filepath.Join(srcDir, ".empctl", "cache", "webapp-sources.sha256")
	sources, err := treehash.Sum(webapp, "node_modules", "dist", ".angular", "test-results", "playwright-report")
	if err != nil {
		return "", false, fmt.Errorf("reading the webapp's sources: %w", err)
	}
	dist = WebappDist(srcDir)
	if dist != "" && !force {
		if b, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(b)) == sources {
			return dist, false, nil
		}
	}
	cmd := exec.CommandContext(ctx, "make", "-C", webapp, "build")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", false, fmt.Errorf("building the webapp (make -C webapp build): %w", err)
	}
	if dist = WebappDist(srcDir); dist == "" {
		return "", false, fmt.Errorf("the webapp build left no index.html under %s", filepath.Join(webapp, "dist"))
	}
	// The hash of the sources as they were before the build: an edit made
	// while it ran makes the next call build again.
	if err := os.MkdirAll(filepath.Dir(stamp), 0o755); err == nil {
		_ = os.WriteFile(stamp, []byte(sources+"\n"), 0o644)
	}
	return dist, true, nil
}

// fileDigest is the hex SHA-256 of the file at path: a build's content address.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
