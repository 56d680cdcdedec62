package local_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/empctl/empctl/pkg/env"
)

// Locally, a frontend rollback switches the stack's web root back to a kept
// release, through the control socket, and status lists the kept releases
// and the backend's.
func TestFrontendRollbackThroughTheStack(t *testing.T) {
	_, e := servedEnv(t)
	ctx := context.Background()
	noProgress := func(env.Event) {}
	endpoint, err := e.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	page := func() string {
		t.Helper()
		resp, err := http.Get(endpoint + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var ids []string
	for _, v := range []string{"v1", "v2"} {
		dist := t.TempDir()
		if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		fe, err := e.DeployFrontend(ctx, dist, env.FrontendOptions{}, noProgress)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fe.Release)
	}
	if got := page(); got != "v2" {
		t.Fatalf("serving %q, want v2", got)
	}
	fe, err := e.RollbackFrontend(ctx, env.FrontendRollbackOptions{}, noProgress)
	if err != nil || fe.Release != ids[0] || fe.From != ids[1] {
		t.Fatalf("rollback: %+v, %v; want %s from %s", fe, err, ids[0], ids[1])
	}
	if got := page(); got != "v1" {
		t.Errorf("serving %q after the rollback, want v1", got)
	}
	st, err := e.Status(ctx)
	if err != nil || len(st.FrontendReleases) != 2 || st.FrontendReleases[0].Release != ids[0] || !st.FrontendReleases[0].Live || st.Frontend.Release != ids[0] {
		t.Errorf("status: %+v, %v", st.FrontendReleases, err)
	}
	if len(st.Revisions) != 1 || st.Revisions[0].Version != "v1" || !st.Revisions[0].Live || st.Revisions[0].Served.IsZero() {
		t.Errorf("the backend's releases in status: %+v, want v1 live since its replicas started", st.Revisions)
	}
	if _, err := e.RollbackFrontend(ctx, env.FrontendRollbackOptions{To: "19990101"}, noProgress); !errors.Is(err, env.ErrNotRetained) {
		t.Errorf("rollback to a release never kept: %v, want ErrNotRetained across the socket", err)
	}
}
