// Package srcversion names a source tree the way a release is named: `git
// describe` for a commit, plus "-dirty-<hash>" for uncommitted changes, where
// the hash covers those changes, so two different dirty trees never share a
// version (an immutable image tag depends on that).
package srcversion

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Source describes a source tree.
type Source struct {
	// Version is `git describe --tags --always`, with "-dirty-" and 8 hex
	// digits of the uncommitted changes' hash appended for a dirty tree; "dev"
	// outside a git checkout.
	Version string
	// Commit is the full hash of HEAD, "" outside a git checkout.
	Commit string
	// Time is SOURCE_DATE_EPOCH when set, else HEAD's commit time, else the
	// zero time: what reproducible build outputs are dated with.
	Time time.Time
	// Dirty reports uncommitted changes: to tracked files, or untracked files
	// that .gitignore does not exclude.
	Dirty bool
}

// Describe describes the tree at dir. Outside a git checkout (or without git)
// it returns Version "dev" and no error; a bad SOURCE_DATE_EPOCH is an error.
func Describe(ctx context.Context, dir string) (Source, error) {
	return DescribePaths(ctx, dir, nil)
}

// DescribePaths describes only what the git pathspecs cover (all of the tree
// when there are none): the commit is the last one that changed them, and
// only changes to them make the tree dirty. A release named this way keeps
// its version, tag and build when the rest of the tree changes.
func DescribePaths(ctx context.Context, dir string, pathspecs []string) (Source, error) {
	s := Source{Version: "dev"}
	if commit, err := git(ctx, dir, "rev-parse", "HEAD"); err == nil {
		s.Commit = strings.TrimSpace(string(commit))
	}
	if s.Commit != "" && len(pathspecs) > 0 {
		out, err := git(ctx, dir, append([]string{"log", "-1", "--format=%H", "--"}, pathspecs...)...)
		if err != nil {
			return Source{}, fmt.Errorf("finding the last commit that changed %s: %w", strings.Join(pathspecs, " "), err)
		}
		if c := strings.TrimSpace(string(out)); c != "" {
			s.Commit = c
		}
	}
	if s.Commit != "" {
		if out, err := git(ctx, dir, "describe", "--tags", "--always", s.Commit); err == nil {
			s.Version = strings.TrimSpace(string(out))
		}
		if out, err := git(ctx, dir, "show", "-s", "--format=%ct", s.Commit); err == nil {
			if sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
				s.Time = time.Unix(sec, 0).UTC()
			}
		}
		hash, dirty, err := changesHash(ctx, dir, pathspecs)
		if err != nil {
			return Source{}, err
		}
		if dirty {
			s.Dirty = true
			s.Version += "-dirty-" + hash[:8]
		}
	}
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Source{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds since 1970; unset it or give e.g. $(git log -1 --format=%%ct)", v)
		}
		s.Time = time.Unix(sec, 0).UTC()
	}
	return s, nil
}

// changesHash hashes what differs from HEAD under the pathspecs: the binary
// diff of tracked files and the paths and contents of untracked, not ignored
// files.
func changesHash(ctx context.Context, dir string, pathspecs []string) (string, bool, error) {
	diff, err := git(ctx, dir, append([]string{"diff", "--binary", "HEAD", "--"}, pathspecs...)...)
	if err != nil {
		return "", false, fmt.Errorf("listing the uncommitted changes in %s (git diff HEAD): %w", dir, err)
	}
	others, err := git(ctx, dir, append([]string{"ls-files", "-z", "--others", "--exclude-standard", "--"}, pathspecs...)...)
	if err != nil {
		return "", false, fmt.Errorf("listing the untracked files in %s (git ls-files --others): %w", dir, err)
	}
	h := sha256.New()
	h.Write(diff)
	for p := range strings.SplitSeq(strings.TrimSuffix(string(others), "\x00"), "\x00") {
		if p == "" {
			continue
		}
		fmt.Fprintf(h, "\x00untracked %s\x00", p)
		if err := hashFile(h, filepath.Join(dir, p)); err != nil {
			return "", false, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), len(diff) > 0 || len(others) > 0, nil
}

func hashFile(w io.Writer, path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		_, _ = io.WriteString(w, "symlink "+target)
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = io.Copy(w, f)
	return err
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
