// Package webroot serves the published webapp the way the S3 deploy does
// (the shared Cache-Control rules, index.html for the SPA's routes) and
// publishes a new build atomically, keeping the previous release's hashed
// assets available. The last keepReleases releases that went live stay on
// disk, and Rollback switches back to one of them as atomically.
package webroot

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/treehash"
	"github.com/empctl/empctl/pkg/webassets"
)

// manifestName lists a release's own files, so the next release keeps only
// those (not the ones it had itself retained).
const manifestName = ".release-files"

// digestName holds the digest of the build a release was published from, so
// that publishing the same build again changes nothing: a no-op redeploy
// must not push the previous release's assets out of the retention window.
const digestName = ".release-digest"

// keepReleases is how many release folders stay on disk.
const keepReleases = 3

// Root serves the published webapp release and switches releases
// atomically: each release is a new folder under releases/, the `current`
// symlink is replaced with a rename, and requests read the folder through an
// atomic pointer, so a request sees either the old or the new release.
type Root struct {
	base string
	// publishMu serializes publishes: each reads the current release and
	// replaces the `current` link, so two at once would race on both.
	publishMu sync.Mutex
	dir       atomic.Pointer[string]
	info      atomic.Pointer[env.Frontend]
}

// New returns the web root kept in base; it serves the release published
// there last, if any.
func New(base string) *Root {
	w := &Root{base: base}
	if dir, err := filepath.EvalSymlinks(filepath.Join(base, "current")); err == nil {
		w.dir.Store(&dir)
		w.info.Store(&env.Frontend{Release: filepath.Base(dir), Files: len(readManifest(dir))})
	}
	return w
}

// Current describes the release being served, or nil.
func (w *Root) Current() *env.Frontend { return w.info.Load() }

// Publish copies dist into a new release folder, adds the previous release's
// hashed assets that the new one lacks, and switches to it.
func (w *Root) Publish(dist string) (env.Frontend, error) {
	w.publishMu.Lock()
	defer w.publishMu.Unlock()
	digest, live, err := w.decide(dist)
	if err != nil || live != nil {
		return deref(live), err
	}
	id := time.Now().UTC().Format("20060102T150405.000000000")
	dir := filepath.Join(w.base, "releases", id)
	files, err := copyTree(dist, dir)
	if err != nil {
		return env.Frontend{}, fmt.Errorf("copying the webapp release: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestName), []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
		return env.Frontend{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, digestName), []byte(digest+"\n"), 0o644); err != nil {
		return env.Frontend{}, err
	}
	retained := 0
	if prev := w.dir.Load(); prev != nil {
		if retained, err = keepHashed(*prev, dir); err != nil {
			return env.Frontend{}, err
		}
	}
	if err := w.switchTo(dir); err != nil {
		return env.Frontend{}, err
	}
	info := env.Frontend{Release: id, Files: len(files), Retained: retained}
	w.dir.Store(&dir)
	w.info.Store(&info)
	w.recordLive(id, time.Now())
	w.prune()
	return info, nil
}

// Plan says what Publish would do with dist, through the same decision,
// changing nothing: the live release when dist is its build, else the files
// a new release would copy and the release it would replace (the new one is
// named when it is published).
func (w *Root) Plan(dist string) (env.Frontend, error) {
	w.publishMu.Lock()
	defer w.publishMu.Unlock()
	_, live, err := w.decide(dist)
	if err != nil {
		return env.Frontend{}, err
	}
	if live != nil {
		live.DryRun = true
		return *live, nil
	}
	plan := env.Frontend{DryRun: true}
	if cur := w.Current(); cur != nil {
		plan.Replaces = cur.Release
	}
	n, err := countFiles(dist)
	if err != nil {
		return env.Frontend{}, fmt.Errorf("reading the webapp build: %w", err)
	}
	plan.Files = n
	return plan, nil
}

// decide checks dist and digests it; when it is the live release's build,
// live is that release, marked Unchanged (every file unchanged): nothing is
// to publish. The caller holds publishMu.
func (w *Root) decide(dist string) (digest string, live *env.Frontend, err error) {
	if fi, err := os.Stat(filepath.Join(dist, "index.html")); err != nil || !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s has no index.html: is it the webapp's build output (make -C webapp build)?", dist)
	}
	if digest, err = treehash.Sum(dist); err != nil {
		return "", nil, fmt.Errorf("reading the webapp build: %w", err)
	}
	if prev, cur := w.dir.Load(), w.info.Load(); prev != nil && cur != nil {
		if b, err := os.ReadFile(filepath.Join(*prev, digestName)); err == nil && strings.TrimSpace(string(b)) == digest {
			info := *cur
			info.Unchanged, info.UnchangedFiles = true, info.Files
			return digest, &info, nil
		}
	}
	return digest, nil, nil
}

func deref(f *env.Frontend) env.Frontend {
	if f == nil {
		return env.Frontend{}
	}
	return *f
}

// switchTo points the `current` link at dir: a new link renamed over the
// old one, so the switch is atomic.
func (w *Root) switchTo(dir string) error {
	link := filepath.Join(w.base, "current")
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(dir, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("switching to the webapp release: %w", err)
	}
	return nil
}

// prune removes all but the keepReleases release folders most recently live.
// The current one always stays, whatever the history says.
func (w *Root) prune() {
	rs := w.retained()
	cur := w.Current()
	for _, r := range rs[min(keepReleases, len(rs)):] {
		if cur == nil || r.id != cur.Release {
			_ = os.RemoveAll(filepath.Join(w.base, "releases", r.id))
		}
	}
}

// ServeHTTP serves the webapp: files as they are with the shared
// Cache-Control rules and Content-Security-Policy (CloudFront sends the same),
// index.html for every other path (the SPA's routes).
func (w *Root) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Security-Policy", webassets.ContentSecurityPolicy)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rw.Header().Set("Allow", "GET, HEAD")
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	dirp := w.dir.Load()
	if name == "/config.json" && (dirp == nil || !isFile(filepath.Join(*dirp, "config.json"))) {
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Cache-Control", webassets.CacheNoCache)
		_, _ = io.WriteString(rw, webassets.ConfigJSON)
		return
	}
	if dirp == nil {
		http.Error(rw, "no webapp is published: build it (make -C webapp build) and run `empctl deploy frontend`; the API is under /api/", http.StatusNotFound)
		return
	}
	dir := *dirp
	if name == "/" || name == "/"+manifestName || name == "/"+digestName {
		name = "/index.html"
	}
	file := filepath.Join(dir, filepath.FromSlash(name))
	if !isFile(file) {
		if path.Ext(name) != "" {
			http.NotFound(rw, r)
			return
		}
		name, file = "/index.html", filepath.Join(dir, "index.html")
	}
	// A release's files never change once published, so the release and
	// the path name the content exactly: Last-Modified alone (whole seconds)
	// would answer 304 with the old page to a tab revalidating after a
	// release published within the same second.
	rw.Header().Set("ETag", strconv.Quote(filepath.Base(dir)+name))
	serveFile(rw, r, file, webassets.CacheControl(name))
}

func serveFile(rw http.ResponseWriter, r *http.Request, file, cacheControl string) {
	f, err := os.Open(file)
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Cache-Control", cacheControl)
	http.ServeContent(rw, r, fi.Name(), fi.ModTime(), f)
}

func readManifest(dir string) []string {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out
}
