package image

// Image files: small files from the project (a CA bundle for DB_TLS_CA) put
// into the image as one layer of their own, after the binary's.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxFileSize bounds an image file: they are for CA bundles and the like,
// not for data that belongs in a volume or a bucket.
const maxFileSize = 1 << 20

// extraFile is one image file, read and checked.
type extraFile struct {
	path  string // absolute, in the image
	local string // absolute, on this machine
	body  []byte
}

// The image's own files and directories (baseLayer, binaryLayer), which an
// image file must not replace.
var (
	ownFiles = []string{binPath, "/etc/passwd", "/etc/group"}
	ownDirs  = []string{"/etc", "/home", homeDir, "/tmp", "/usr", "/usr/local", path.Dir(binPath)}
)

func ownPath(p string) (string, bool) {
	for _, own := range ownFiles {
		if p == own || strings.HasPrefix(p, own+"/") {
			return own, true
		}
	}
	return p, slices.Contains(ownDirs, p)
}

// trustStore reports whether Go's crypto/x509 on Linux reads p as part of the
// system roots (root_linux.go's certFiles and certDirectories).
func trustStore(p string) bool {
	for _, dir := range []string{"/etc/ssl/certs", "/etc/pki/tls/certs"} {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return slices.Contains([]string{
		"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
		"/etc/pki/tls/cacert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem",
	}, p)
}

// FileError is an image file that cannot go into the image.
type FileError struct {
	Path    string // in the image
	Problem string // what is wrong and what to do
}

func (e *FileError) Error() string { return fmt.Sprintf("image file %q: %s", e.Path, e.Problem) }

func fileErr(p, format string, args ...any) error {
	return &FileError{Path: p, Problem: fmt.Sprintf(format, args...)}
}

// readFiles checks opts.Files and reads them, sorted by path in the image.
func readFiles(dir string, files map[string]string) ([]extraFile, error) {
	var out []extraFile
	for p, local := range files {
		switch {
		case !strings.HasPrefix(p, "/"):
			return nil, fileErr(p, "the path in the image must be absolute, e.g. /etc/empctl/rds-global-bundle.pem")
		case path.Clean(p) != p || p == "/":
			return nil, fileErr(p, "write it as %s, the path of a file", path.Clean(p))
		}
		if own, ok := ownPath(p); ok {
			return nil, fileErr(p, "it would replace the image's own %s: choose another path", own)
		}
		if trustStore(p) {
			return nil, fileErr(p, "Go reads it as the system's trust store: a certificate there replaces the root certificates the server embeds, and it could no longer reach AWS (Secrets Manager); put it elsewhere, e.g. /etc/empctl/rds-global-bundle.pem")
		}
		if !filepath.IsAbs(local) {
			local = filepath.Join(dir, local)
		}
		fi, err := os.Stat(local)
		switch {
		case os.IsNotExist(err):
			return nil, fileErr(p, "%s does not exist: create it or correct the path", local)
		case err != nil:
			return nil, fileErr(p, "%v", err)
		case !fi.Mode().IsRegular():
			return nil, fileErr(p, "%s is not a regular file: give the path of a file", local)
		case fi.Size() > maxFileSize:
			return nil, fileErr(p, "%s has %d bytes; an image file may have at most 1 MiB (it is for small files such as CA bundles)", local, fi.Size())
		}
		body, err := os.ReadFile(local)
		if err != nil {
			return nil, fileErr(p, "%v", err)
		}
		out = append(out, extraFile{path: p, local: local, body: body})
	}
	slices.SortFunc(out, func(a, b extraFile) int { return strings.Compare(a.path, b.path) })
	for i := 1; i < len(out); i++ {
		if strings.HasPrefix(out[i].path, out[i-1].path+"/") {
			return nil, fileErr(out[i].path, "it would be inside the file %q: choose another path", out[i-1].path)
		}
	}
	return out, nil
}

// filesHash covers the image files' paths and contents.
func filesHash(files []extraFile) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.path, len(f.body))
		h.Write(f.body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// gitCovers reports whether the sources' version already names the files'
// contents: each one is a regular file in the checkout at dir that git tracks
// or would (untracked, not ignored), so its contents are in the commit or in
// the -dirty hash. A file outside the checkout, ignored, or behind a symlink
// is not.
// fileSpecs are git pathspecs naming the image files inside dir.
func fileSpecs(dir string, files []extraFile) []string {
	var out []string
	for _, f := range files {
		if rel, err := filepath.Rel(dir, f.local); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			out = append(out, ":(literal)"+filepath.ToSlash(rel))
		}
	}
	return out
}

func gitCovers(ctx context.Context, dir string, files []extraFile) (bool, error) {
	var rels []string
	for _, f := range files {
		// A file that cannot be examined is not covered: the hash names it instead.
		if fi, err := os.Lstat(f.local); err != nil || !fi.Mode().IsRegular() {
			return false, nil //nolint:nilerr // not covered, not an error
		}
		rel, err := filepath.Rel(dir, f.local)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return false, nil //nolint:nilerr // outside the checkout: not covered
		}
		rels = append(rels, filepath.ToSlash(rel))
	}
	args := []string{"-C", dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"}
	for _, r := range rels {
		args = append(args, ":(literal)"+r)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return false, fmt.Errorf("asking git whether it tracks the image files (git ls-files in %s): %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	listed := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for _, r := range rels {
		if !slices.Contains(listed, r) {
			return false, nil
		}
	}
	return true, nil
}

// filesLayer holds the image files, read-only and owned by root, and their
// directories; like every layer, its bytes depend on the contents alone.
func filesLayer(files []extraFile, t time.Time) (v1.Layer, error) {
	seen := map[string]bool{}
	var entries []file
	for _, f := range files {
		for _, d := range dirs(f.path) {
			if !seen[d.name] {
				seen[d.name] = true
				entries = append(entries, d)
			}
		}
		entries = append(entries, file{name: f.path[1:], mode: 0o444, body: f.body})
	}
	var buf bytes.Buffer
	diffID, err := writeLayer(&buf, entries, t)
	if err != nil {
		return nil, err
	}
	return newLayer(buf.Bytes(), diffID)
}

// filePaths lists the files' paths in the image.
func filePaths(files []extraFile) string {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	return strings.Join(paths, ", ")
}
