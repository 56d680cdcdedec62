package frontend

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// `deploy frontend -o json` keeps its shape in every case
// (testdata/deploy-frontend.golden): the answers of the AWS and the local
// environment, published, unchanged, planned, and live with a failed
// invalidation.
func TestDeployFrontendJSONShape(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := cmdWithBuild(func(context.Context, string, io.Writer) (string, bool, error) { return dist, true, nil })
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	published := env.Frontend{Release: "3f2a9c01", Files: 14, Published: at, Retained: 3, Uploaded: 2, UploadedBytes: 2048, UnchangedFiles: 12,
		Deleted: 1, DeletedBytes: 100, Invalidation: "I1", InvalidationPaths: []string{"/", "/index.html"}, Seconds: 1.5}
	var got strings.Builder
	for _, tc := range []struct {
		name string
		fake *envtest.Fake
		args []string
	}{
		{"published (AWS)", &envtest.Fake{Frontend: published}, nil},
		{"published (local)", &envtest.Fake{Frontend: env.Frontend{Release: "20261206T120000.000000000", Files: 14, Retained: 3}}, nil},
		{"unchanged", &envtest.Fake{Frontend: env.Frontend{Release: "3f2a9c01", Files: 14, Unchanged: true, UnchangedFiles: 14}}, nil},
		{"dry run (AWS)", &envtest.Fake{Frontend: env.Frontend{Release: "3f2a9c01", Files: 14, DryRun: true, Uploaded: 1, UploadedBytes: 10, UnchangedFiles: 13,
			Deleted: 1, DeletedBytes: 100, InvalidationPaths: []string{"/"}, Uploads: []string{"index.html"}, Deletions: []string{"main-old.js"}}}, []string{"--dry-run"}},
		{"dry run (local)", &envtest.Fake{Frontend: env.Frontend{DryRun: true, Files: 14, Replaces: "20261206T120000.000000000"}}, []string{"--dry-run"}},
		{"live, invalidation failed", &envtest.Fake{Frontend: published, FrontendErr: errors.New("waiting for the invalidation: throttled")}, nil},
	} {
		r := cmdtest.Run(t, build, tc.fake, append(tc.args, "-o", "json")...)
		got.WriteString("# " + tc.name + "\n" + cmdtest.JSONShape(t, r.Out) + "\n")
	}
	cmdtest.Golden(t, "deploy-frontend", got.String())
}
