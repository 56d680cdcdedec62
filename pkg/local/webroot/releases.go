package webroot

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/webassets"
)

// historyName lists, one a line, each release that went live and when
// ("<id> <RFC 3339 time>"), oldest first: the order a rollback walks back
// and the retention window counts.
const historyName = "history"

type wentLive struct {
	id   string
	when time.Time
}

// retained returns the release folders on disk, the most recently live
// first (by the history; a folder it does not name, from before it was kept,
// by its name, which is its publish time).
func (w *Root) retained() []wentLive {
	entries, err := os.ReadDir(filepath.Join(w.base, "releases"))
	if err != nil {
		return nil
	}
	onDisk := map[string]bool{}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			onDisk[e.Name()] = true
			names = append(names, e.Name())
		}
	}
	var out []wentLive
	seen := map[string]bool{}
	h := w.history()
	for i := len(h) - 1; i >= 0; i-- {
		if onDisk[h[i].id] && !seen[h[i].id] {
			seen[h[i].id] = true
			out = append(out, h[i])
		}
	}
	slices.Sort(names)
	for i := len(names) - 1; i >= 0; i-- {
		if !seen[names[i]] {
			out = append(out, wentLive{id: names[i]})
		}
	}
	return out
}

func (w *Root) history() []wentLive {
	f, err := os.Open(filepath.Join(w.base, historyName))
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var out []wentLive
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, when, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		t, _ := time.Parse(time.RFC3339Nano, when)
		if id != "" {
			out = append(out, wentLive{id, t})
		}
	}
	return out
}

// recordLive appends id to the history. A history that cannot be written
// costs only the order of later rollbacks, so its error is not the publish's.
func (w *Root) recordLive(id string, now time.Time) {
	f, err := os.OpenFile(filepath.Join(w.base, historyName), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	_, _ = fmt.Fprintf(f, "%s %s\n", id, now.UTC().Format(time.RFC3339Nano))
	_ = f.Close()
}

// Releases lists the retained releases, the live one first.
func (w *Root) Releases() []env.FrontendRelease {
	cur := w.Current()
	var out []env.FrontendRelease
	for _, r := range w.retained() {
		dir := filepath.Join(w.base, "releases", r.id)
		out = append(out, env.FrontendRelease{Release: r.id, Published: r.when, Files: len(readManifest(dir)), Live: cur != nil && cur.Release == r.id})
	}
	return out
}

// Rollback switches to a retained release: to (an id or a unique prefix of
// one), else the one live before the current. The switch is the same atomic
// link replacement as a publish; the current release's hashed assets are
// added to the target's folder first, for pages still open on it.
func (w *Root) Rollback(to string, dryRun bool) (env.Frontend, error) {
	w.publishMu.Lock()
	defer w.publishMu.Unlock()
	cur := w.Current()
	if cur == nil {
		return env.Frontend{}, fmt.Errorf("%w: no webapp release has been published locally", env.ErrNotRetained)
	}
	rs := w.retained()
	var target string
	if to == "" {
		for _, r := range rs {
			if r.id != cur.Release {
				target = r.id
				break
			}
		}
		if target == "" {
			return env.Frontend{}, fmt.Errorf("%w: no release before %s is kept locally; publish the one you want with `empctl deploy frontend`", env.ErrNotRetained, cur.Release)
		}
	} else {
		var found []string
		for _, r := range rs {
			if strings.HasPrefix(r.id, to) {
				found = append(found, r.id)
			}
		}
		if len(found) != 1 {
			why := fmt.Errorf("%w: no release %q is kept locally", env.ErrNotRetained, to)
			if len(found) > 1 {
				why = fmt.Errorf("%q names more than one release kept locally; give more of its id", to)
			}
			return env.Frontend{}, fmt.Errorf("%w; the releases kept are:\n%s", why, w.list())
		}
		target = found[0]
	}
	dir := filepath.Join(w.base, "releases", target)
	info := env.Frontend{Release: target, From: cur.Release, Files: len(readManifest(dir)), DryRun: dryRun, Unchanged: target == cur.Release}
	if info.Unchanged { // as a publish of the live build says it
		info.UnchangedFiles = info.Files
	}
	if dryRun || info.Unchanged {
		return info, nil
	}
	if prev := w.dir.Load(); prev != nil {
		n, err := keepHashed(*prev, dir)
		if err != nil {
			return env.Frontend{}, err
		}
		info.Retained = n
	}
	if err := w.switchTo(dir); err != nil {
		return env.Frontend{}, err
	}
	w.dir.Store(&dir)
	w.info.Store(&info)
	w.recordLive(target, time.Now())
	return info, nil
}

func (w *Root) list() string {
	var b strings.Builder
	for _, r := range w.Releases() {
		live := ""
		if r.Live {
			live = "  (live)"
		}
		fmt.Fprintf(&b, "  %s  %d files%s\n", r.Release, r.Files, live)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// keepHashed copies into dir the hashed files of the release in prev that
// dir lacks, and returns how many.
func keepHashed(prev, dir string) (int, error) {
	n := 0
	for _, name := range readManifest(prev) {
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if !webassets.IsHashed(name) || isFile(dst) {
			continue
		}
		if err := copyFile(filepath.Join(prev, filepath.FromSlash(name)), dst); err != nil {
			return n, fmt.Errorf("keeping the previous release's %s: %w", name, err)
		}
		n++
	}
	return n, nil
}
