package rollback

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// `rollback frontend -o json` keeps its shape in every case
// (testdata/rollback-frontend.golden): rolled back, the target already live
// (unchanged, with unchangedFiles as a deploy of the live build gives them),
// planned, and live with a failed invalidation.
func TestRollbackFrontendJSONShape(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	back := env.Frontend{Release: "3f2a9c01", From: "9b1e7d22", Files: 14, Published: at, Restored: []string{"index.html"},
		Invalidation: "I1", InvalidationPaths: []string{"/", "/index.html"}, Seconds: 0.2}
	var got strings.Builder
	for _, tc := range []struct {
		name string
		fake *envtest.Fake
		args []string
	}{
		{"rolled back", &envtest.Fake{Frontend: back}, nil},
		{"already live", &envtest.Fake{Frontend: env.Frontend{Release: "3f2a9c01", From: "3f2a9c01", Files: 14, Unchanged: true, UnchangedFiles: 14}}, []string{"--to", "3f2a"}},
		{"dry run", &envtest.Fake{Frontend: env.Frontend{Release: "3f2a9c01", From: "9b1e7d22", Files: 14, DryRun: true, Restored: []string{"index.html"},
			InvalidationPaths: []string{"/", "/index.html"}}}, []string{"--dry-run"}},
		{"live, invalidation failed", &envtest.Fake{Frontend: back, FrontendErr: errors.New("waiting for the invalidation: throttled")}, nil},
	} {
		r := cmdtest.Run(t, newCmd, tc.fake, append([]string{"frontend"}, append(tc.args, "-o", "json")...)...)
		got.WriteString("# " + tc.name + "\n" + cmdtest.JSONShape(t, r.Out) + "\n")
	}
	cmdtest.Golden(t, "rollback-frontend", got.String())
}
