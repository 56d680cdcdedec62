package deploy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
)

// `empctl deploy -o json` keeps its shape in every case
// (testdata/deploy.golden).
func TestReleaseJSONShape(t *testing.T) {
	var got strings.Builder
	for _, tc := range []struct {
		name string
		edit func(*envtest.Fake)
		args []string
	}{
		{"completed", func(*envtest.Fake) {}, nil},
		{"backend failed", func(f *envtest.Fake) {
			f.Rollout = env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeFailed, Reason: "replica r3 failed its health checks"}
			f.DeployErr = fmt.Errorf("%w: replica r3 failed its health checks", env.ErrRolloutFailed)
		}, nil},
		{"frontend failed", func(f *envtest.Fake) { f.FrontendErr = errors.New("CloudFront refused the invalidation") }, nil},
		{"unchanged", func(f *envtest.Fake) {
			f.DeployErr = fmt.Errorf("%w (v1): nothing to deploy", env.ErrSameBuild)
			f.Frontend = env.Frontend{Release: "web1", Files: 13, Unchanged: true, UnchangedFiles: 13}
		}, nil},
		{"dry run", func(f *envtest.Fake) {
			f.Frontend = env.Frontend{Release: "web2", Files: 13, DryRun: true, Uploads: []string{"index.html"}, Uploaded: 1}
		}, []string{"--dry-run"}},
	} {
		fake := fakeEnv()
		tc.edit(fake)
		r := cmdtest.Run(t, releaseCmd(t), fake, append(tc.args, "-o", "json")...)
		got.WriteString("# " + tc.name + "\n" + cmdtest.JSONShape(t, r.Out) + "\n")
	}
	cmdtest.Golden(t, "deploy", got.String())
}
