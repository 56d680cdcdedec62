package webroot

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/env"
)

func TestRollbackSwitchesToRetainedReleases(t *testing.T) {
	w := New(filepath.Join(t.TempDir(), "web"))
	publish := func(files map[string]string) string {
		t.Helper()
		info, err := w.Publish(writeDist(t, files))
		if err != nil {
			t.Fatal(err)
		}
		return info.Release
	}
	serves := func(want map[string]string) {
		t.Helper()
		for path, body := range want {
			if rec := get(t, w, path); rec.Code != 200 || rec.Body.String() != body {
				t.Errorf("%s: %d %q, want %q", path, rec.Code, rec.Body.String(), body)
			}
		}
	}
	v1 := publish(map[string]string{"index.html": "v1", "favicon.ico": "i1", "main-AAAAAAAA.js": "a"})
	v2 := publish(map[string]string{"index.html": "v2", "favicon.ico": "i2", "main-BBBBBBBB.js": "b"})
	v3 := publish(map[string]string{"index.html": "v3", "favicon.ico": "i3", "main-CCCCCCCC.js": "c"})

	if plan, err := w.Rollback("", true); err != nil || plan.Release != v2 || plan.From != v3 || !plan.DryRun {
		t.Fatalf("dry run: %+v, %v; want v2 from v3", plan, err)
	}
	serves(map[string]string{"/": "v3"})

	info, err := w.Rollback("", false)
	if err != nil || info.Release != v2 || info.From != v3 {
		t.Fatalf("rollback: %+v, %v; want v2 from v3", info, err)
	}
	// v2's own files, and v3's assets for pages still open on v3.
	serves(map[string]string{"/": "v2", "/favicon.ico": "i2", "/main-BBBBBBBB.js": "b", "/main-CCCCCCCC.js": "c"})
	if w.Current().Release != v2 {
		t.Errorf("current %+v, want v2", w.Current())
	}
	// The release live before the current is v3 again; v1 by a prefix.
	if info, err = w.Rollback("", false); err != nil || info.Release != v3 {
		t.Fatalf("second rollback: %+v, %v; want v3", info, err)
	}
	if info, err = w.Rollback(v1[:len(v1)-3], false); err != nil || info.Release != v1 {
		t.Fatalf("rollback to v1: %+v, %v", info, err)
	}
	serves(map[string]string{"/": "v1", "/favicon.ico": "i1"})
	// The live release again: unchanged, every file of it unchanged (as a
	// publish of the live build says it).
	if info, err = w.Rollback(v1, false); err != nil || !info.Unchanged || info.Files != 3 || info.UnchangedFiles != info.Files {
		t.Fatalf("rollback to the live v1: %+v, %v; want unchanged with unchangedFiles = files = 3", info, err)
	}
	rs := w.Releases()
	if len(rs) != 3 || rs[0].Release != v1 || !rs[0].Live || rs[1].Release != v3 || rs[2].Release != v2 || rs[0].Published.IsZero() {
		t.Errorf("releases %+v, want v1 (live), v3, v2", rs)
	}

	// A new release pushes out the one least recently live: v2.
	v4 := publish(map[string]string{"index.html": "v4"})
	_, err = w.Rollback(v2, false)
	if !errors.Is(err, env.ErrNotRetained) || !strings.Contains(err.Error(), v1) || !strings.Contains(err.Error(), v3) || !strings.Contains(err.Error(), v4) {
		t.Errorf("rollback to a release past retention: %v; want ErrNotRetained listing v4, v1 and v3", err)
	}
	serves(map[string]string{"/": "v4"})

	// A new Root on the same folder knows the order.
	if info, err := New(w.base).Rollback("", true); err != nil || info.Release != v1 {
		t.Errorf("after a restart, the release before v4: %+v, %v; want v1", info, err)
	}
}
