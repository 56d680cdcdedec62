package verify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// `verify-zero-downtime -o json` writes only its report on stdout, in the
// shape of testdata/verify.golden, and its progress on stderr (the
// rollout's events as JSON lines among the phases' plain lines), on the
// real local stack.
func TestVerifyJSONShape(t *testing.T) {
	opts := localtest.Options(t)
	opts.WebDist = t.TempDir()
	if err := os.WriteFile(filepath.Join(opts.WebDist, "index.html"), []byte("<!doctype html><title>app</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	localtest.Start(t, opts)
	e := local.NewEnv(localtest.RepoRoot(t), opts.StateDir)
	r := runCmd(t, e, func(o *Options) { o.JSON = true }, "--rate", "50", "--warmup", "1s", "--cooldown", "1s")
	if r.err != nil {
		t.Fatalf("verify-zero-downtime failed: %v", r.err)
	}
	// Data-keyed objects: versions, failure kinds, request targets.
	shape := cmdtest.JSONShape(t, r.out, "failures", "versions", "finalVersions", "latency", "timeline[].versions")
	cmdtest.Golden(t, "verify", shape)
	events := 0
	for _, line := range strings.Split(r.errOut, "\n") {
		var ev env.Event
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &ev) == nil && ev.Message != "" {
			events++
		}
	}
	if events == 0 || !strings.Contains(r.errOut, "Auditing the writes") {
		t.Fatalf("stderr lacks the progress (events as JSON lines, phases as text):\n%s", r.errOut)
	}
}
