package awsenv_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
)

// TestRollbackFrontend: through the AWS environment (moto's S3 and
// CloudFront), a rollback to the previous and to an older retained release
// restores their unhashed files byte for byte with server-side copies and
// invalidates them; cut before index.html it leaves the site whole and a
// rerun completes it; a release past retention is refused with the list of
// those retained; status lists them.
func TestRollbackFrontend(t *testing.T) {
	s := newStage(t)
	type rel struct{ id, index, favicon string }
	var rels []rel
	for _, v := range []string{"v1", "v2", "v3"} {
		s.build(t, v)
		if err := os.WriteFile(filepath.Join(s.dist, "favicon.ico"), []byte("ico "+v), 0o644); err != nil {
			t.Fatal(err)
		}
		fe := summary(t, s.deploy(t, "-o", "json"))
		rels = append(rels, rel{fe.Release, s.get(t, "index.html"), s.get(t, "favicon.ico")})
	}
	live := func(want rel) {
		t.Helper()
		if s.get(t, "index.html") != want.index || s.get(t, "favicon.ico") != want.favicon {
			t.Errorf("index.html and favicon.ico are not release %s's", want.id)
		}
		s.checkMetadata(t)
		s.checkIndexWhole(t)
	}
	rollback := func(ctx context.Context, args ...string) (env.Frontend, run) {
		t.Helper()
		r := s.empctl(ctx, append([]string{"rollback", "frontend", "-o", "json"}, args...)...)
		var fe env.Frontend
		_ = json.Unmarshal([]byte(r.out), &fe)
		return fe, r
	}
	keysBefore := s.keys(t)

	s.proxy.Reset()
	if fe, r := rollback(context.Background(), "--dry-run"); r.code != 0 || fe.Release != rels[1].id || !slices.Equal(fe.Restored, []string{"favicon.ico", "index.html"}) {
		t.Fatalf("dry run: exit %d, %v, %+v", r.code, r.err, fe)
	}
	for _, r := range s.proxy.Requests() {
		if r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodDelete {
			t.Errorf("the dry run sent %s %s", r.Method, r.Path)
		}
	}
	live(rels[2])

	// Cut when the copy of index.html is sent: v3's index.html serves on.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html") {
			cancel()
			return http.StatusServiceUnavailable, "<Error><Code>ServiceUnavailable</Code><Message>cut</Message></Error>"
		}
		return 0, ""
	})
	if _, r := rollback(ctx); r.code == 0 {
		t.Fatal("the cut rollback succeeded")
	}
	s.proxy.SetHook(nil)
	if s.get(t, "index.html") != rels[2].index || s.get(t, "favicon.ico") != rels[1].favicon {
		t.Fatal("the cut rollback did not stop between favicon.ico and index.html")
	}
	s.checkIndexWhole(t)

	s.proxy.Reset()
	fe, r := rollback(context.Background())
	if r.code != 0 || fe.Release != rels[1].id || fe.From != rels[2].id || !slices.Equal(fe.Restored, []string{"index.html"}) || fe.Invalidation == "" {
		t.Fatalf("the rerun: exit %d, %v, %+v", r.code, r.err, fe)
	}
	if paths := s.lastInvalidationPaths(t, fe.Invalidation); !slices.Equal(paths, []string{"/", "/index.html"}) {
		t.Errorf("invalidated %v", paths)
	}
	if puts := s.puts(); len(puts) != 1 || puts[0] != "index.html" {
		t.Errorf("the rollback wrote %v, want only index.html's server-side copy", puts)
	}
	live(rels[1])
	if keys := s.keys(t); !slices.Equal(keys, keysBefore) {
		t.Errorf("the bucket holds %v after the rollback, want %v", keys, keysBefore)
	}

	if fe, r = rollback(context.Background(), "--to", rels[0].id[:5]); r.code != 0 || fe.Release != rels[0].id {
		t.Fatalf("rollback to v1: exit %d, %v, %+v", r.code, r.err, fe)
	}
	live(rels[0])
	// The live release again: unchanged, and said as a deploy of the live
	// build says it.
	if fe, r = rollback(context.Background(), "--to", rels[0].id); r.code != 0 || !fe.Unchanged || fe.Files == 0 || fe.UnchangedFiles != fe.Files-len(fe.Restored) {
		t.Fatalf("rollback to the live v1: exit %d, %v, %+v; want unchanged, unchangedFiles = files - restored", r.code, r.err, fe)
	}

	var st env.Status
	if r := s.empctl(context.Background(), "status", "-o", "json"); json.Unmarshal([]byte(r.out), &st) != nil || len(st.FrontendReleases) != 3 ||
		st.FrontendReleases[0].Release != rels[0].id || !st.FrontendReleases[0].Live || st.Frontend.Release != rels[0].id {
		t.Errorf("status: %+v\n%s", st.FrontendReleases, r.out)
	}

	// A fourth release with --keep 2 expires v2 (the least recently live).
	s.build(t, "v4")
	s.deploy(t, "--keep", "2")
	_, r = rollback(context.Background(), "--to", rels[1].id)
	if r.code != cmdutil.ExitError || r.err == nil || !strings.Contains(r.err.Error(), "not retained") || !strings.Contains(r.err.Error(), rels[0].id) {
		t.Errorf("rollback past retention: exit %d, %v; want 1 listing the retained releases", r.code, r.err)
	}
}
