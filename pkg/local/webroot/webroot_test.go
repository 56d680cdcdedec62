package webroot

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/empctl/empctl/pkg/webassets"
)

func writeDist(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWebRootSwitchesAtomicallyAndKeepsPreviousHashedAssets(t *testing.T) {
	w := New(filepath.Join(t.TempDir(), "web"))
	if rec := get(t, w, "/"); rec.Code != http.StatusNotFound {
		t.Fatalf("with nothing published: %d, want 404", rec.Code)
	}
	if rec := get(t, w, "/config.json"); rec.Code != http.StatusOK || rec.Body.String() != webassets.ConfigJSON {
		t.Fatalf("config.json is served even without a webapp: %d %q", rec.Code, rec.Body.String())
	}
	if _, err := w.Publish(writeDist(t, map[string]string{"index.html": "v1", "main-AAAAAAAA.js": "a1"})); err != nil {
		t.Fatal(err)
	}
	info, err := w.Publish(writeDist(t, map[string]string{"index.html": "v2", "main-BBBBBBBB.js": "b2", "favicon.ico": "i"}))
	if err != nil {
		t.Fatal(err)
	}
	if info.Retained != 1 || info.Files != 3 {
		t.Fatalf("second release: %+v, want 3 files and 1 retained asset", info)
	}
	for path, want := range map[string]struct{ body, cache string }{
		"/":                 {"v2", webassets.CacheNoCache},
		"/users/42":         {"v2", webassets.CacheNoCache},
		"/main-BBBBBBBB.js": {"b2", webassets.CacheImmutable},
		"/main-AAAAAAAA.js": {"a1", webassets.CacheImmutable},
		"/config.json":      {webassets.ConfigJSON, webassets.CacheNoCache},
	} {
		rec := get(t, w, path)
		if rec.Code != http.StatusOK || rec.Body.String() != want.body || rec.Header().Get("Cache-Control") != want.cache {
			t.Errorf("%s: %d %q cache %q; want %q cache %q", path, rec.Code, rec.Body.String(), rec.Header().Get("Cache-Control"), want.body, want.cache)
		}
	}
	if rec := get(t, w, "/missing-CCCCCCCC.js"); rec.Code != http.StatusNotFound {
		t.Errorf("a missing asset: %d, want 404 (not the SPA's index.html)", rec.Code)
	}
	// Publishing the same build again changes nothing, so the first release's
	// assets stay for one more real release.
	again, err := w.Publish(writeDist(t, map[string]string{"index.html": "v2", "main-BBBBBBBB.js": "b2", "favicon.ico": "i"}))
	if err != nil || !again.Unchanged || again.Release != info.Release {
		t.Fatalf("republishing the same build: %+v, %v; want release %s unchanged", again, err, info.Release)
	}
	if rec := get(t, w, "/main-AAAAAAAA.js"); rec.Code != http.StatusOK {
		t.Errorf("a no-op republish dropped the previous release's asset: %d", rec.Code)
	}
	for _, hidden := range []string{"/" + manifestName, "/" + digestName} {
		if rec := get(t, w, hidden); rec.Body.String() != "v2" {
			t.Errorf("%s: %q, want the SPA's index.html, not the release's bookkeeping", hidden, rec.Body.String())
		}
	}
	// A third release keeps the second's own assets, not the ones it only retained.
	info, err = w.Publish(writeDist(t, map[string]string{"index.html": "v3"}))
	if err != nil || info.Retained != 1 {
		t.Fatalf("third release: %+v, %v; want 1 retained asset", info, err)
	}
	if rec := get(t, w, "/main-AAAAAAAA.js"); rec.Code != http.StatusNotFound {
		t.Errorf("an asset two releases old is still served")
	}
	if target, err := os.Readlink(filepath.Join(w.base, "current")); err != nil || filepath.Base(target) != info.Release {
		t.Errorf("current symlink points at %q (%v), want release %s", target, err, info.Release)
	}
}

// Concurrent publishes (two `empctl deploy frontend` at once) are serialized:
// each succeeds and the web root ends on one complete release.
func TestWebRootPublishesOneAtATime(t *testing.T) {
	w := New(t.TempDir())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		dist := writeDist(t, map[string]string{"index.html": fmt.Sprintf("v%d", i)})
		wg.Go(func() {
			_, err := w.Publish(dist)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent publish: %v", err)
		}
	}
	if rec := get(t, w, "/"); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "v") {
		t.Fatalf("after concurrent publishes: %d %q", rec.Code, rec.Body.String())
	}
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// The webapp's files carry the Content-Security-Policy CloudFront sends, so
// the local stack runs the app under the policy production has.
func TestWebRootSendsTheContentSecurityPolicy(t *testing.T) {
	w := New(filepath.Join(t.TempDir(), "web"))
	if _, err := w.Publish(writeDist(t, map[string]string{"index.html": "v1", "main-AAAAAAAA.js": "a1"})); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/profile", "/main-AAAAAAAA.js", "/config.json"} {
		if got := get(t, w, path).Header().Get("Content-Security-Policy"); got != webassets.ContentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy %q, want %q", path, got, webassets.ContentSecurityPolicy)
		}
	}
}

// A tab that revalidates its page after a new release went live gets the new
// page, even when both releases were published within one second with files
// of one size (what Last-Modified alone cannot tell apart): the reload the
// new-release notice offers must not be answered 304 with the old page.
func TestRevalidationAfterAPublishGetsTheNewRelease(t *testing.T) {
	w := New(filepath.Join(t.TempDir(), "web"))
	if _, err := w.Publish(writeDist(t, map[string]string{"index.html": "<script src=main-AAAAAAAA.js>"})); err != nil {
		t.Fatal(err)
	}
	first := get(t, w, "/sign-in")
	if _, err := w.Publish(writeDist(t, map[string]string{"index.html": "<script src=main-BBBBBBBB.js>"})); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/sign-in", nil)
	req.Header.Set("If-Modified-Since", first.Header().Get("Last-Modified"))
	if etag := first.Header().Get("ETag"); etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "BBBBBBBB") {
		t.Fatalf("revalidation after a new release: %d %q; want 200 with the new page", rec.Code, rec.Body.String())
	}
	// The same release revalidated is still a 304.
	again := httptest.NewRequest(http.MethodGet, "/sign-in", nil)
	again.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec2 := httptest.NewRecorder()
	w.ServeHTTP(rec2, again)
	if rec2.Code != http.StatusNotModified {
		t.Fatalf("revalidation of the live release: %d; want 304", rec2.Code)
	}
}
