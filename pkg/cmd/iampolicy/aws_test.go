package iampolicy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/cmd/deploy/backend"
	"github.com/empctl/empctl/pkg/cmd/deploy/frontend"
	"github.com/empctl/empctl/pkg/cmd/rollback"
	"github.com/empctl/empctl/pkg/cmd/status"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// The policy is what the commands need: deploy backend (a first deploy, a
// forced one, one the circuit breaker rolls back, one that times out and is
// stopped), rollback, status, verify-zero-downtime's kill (StopTask, as
// verify calls it) and deploy frontend (uploads, one in parts, deletions,
// the lock, the invalidation) run against the emulators with every request
// recorded, and each authorization the requests need must be allowed by the
// document `empctl iam-policy` prints for the environment. A call added to
// the commands without a line in pkg/iampolicy fails here.
func TestPolicyAllowsEveryCallTheCommandsMake(t *testing.T) {
	r := awsenvtest.ProvisionRecorded(t, awsenvtest.RecordedOptions{})
	r.ECS.SetFailedFirstDeployment(r.TaskDefinitionARN, 3)
	e, err := awsenv.New(localtest.RepoRoot(t), config.Environment{Name: awsenvtest.EnvName, Region: r.Outputs.Region}, r.Outputs)
	if err != nil {
		t.Fatal(err)
	}
	run := func(newCmd func(*cmdutil.Factory) *cobra.Command, want int, args ...string) cmdtest.Result {
		t.Helper()
		res := cmdtest.RunIn(t, r.Dir, newCmd, e, args...)
		if res.Code != want {
			t.Fatalf("%v: exit %d (want %d): %v\n%s\n%s", args, res.Code, want, res.Err, res.Out, res.ErrOut)
		}
		return res
	}
	deploy := func(f *cmdutil.Factory) *cobra.Command { return backend.NewCmdBackend(f, nil) }
	watch := []string{"--poll-interval", "10ms", "--timeout", "5m"}
	ok := func(n int) {
		r.ECS.Script(n, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
	}

	ok(1)
	run(deploy, cmdutil.ExitOK, watch...) // push, register, update, watch; tags the revision served
	ok(2)
	run(deploy, cmdutil.ExitOK, append(watch, "--force")...) // revision 3 serves
	r.ECS.Script(3, ecsfake.Launch(3), ecsfake.FailTasks(3, "Essential container in task exited", aws.Int32(1)),
		ecsfake.CircuitBreakerRollback(), ecsfake.RollbackComplete())
	run(deploy, cmdutil.ExitVerdict, append(watch, "--force")...) // the stopped tasks' logs
	// Tasks that never turn healthy: past --timeout, StopServiceDeployment.
	r.ECS.Script(4, ecsfake.Launch(3))
	r.ECS.OnStop(ecsfake.StopRollback(), ecsfake.RollbackComplete())
	run(deploy, cmdutil.ExitVerdict, "--poll-interval", "10ms", "--timeout", "100ms", "--force")
	if r.ECS.StopRequested() == "" {
		t.Fatal("the timed-out deploy did not call StopServiceDeployment")
	}
	ok(5)
	run(func(f *cmdutil.Factory) *cobra.Command { return rollback.NewCmdRollback(f, nil) }, cmdutil.ExitOK, watch...) // to revision 2

	// verify-zero-downtime --kill finds a serving task in the status and stops it.
	run(func(f *cmdutil.Factory) *cobra.Command { return status.NewCmdStatus(f, nil) }, cmdutil.ExitOK)
	st, err := e.Status(t.Context())
	if err != nil || len(st.Targets) == 0 {
		t.Fatalf("status: %d targets, %v", len(st.Targets), err)
	}
	if err := e.KillTarget(t.Context(), st.Targets[0].ID); err != nil {
		t.Fatal(err)
	}

	// Two frontend releases, the second deleting what the first alone used.
	publish := func(f *cmdutil.Factory) *cobra.Command { return frontend.NewCmdFrontend(f, nil) }
	writeWebapp(t, r.Dir, "1", 17<<20) // over the 16 MiB from which a file goes up in parts
	run(publish, cmdutil.ExitOK, "--no-build")
	writeWebapp(t, r.Dir, "2", 1)
	run(publish, cmdutil.ExitOK, "--no-build", "--keep", "1")
	if !recorded(r, "POST", "delete") || !recorded(r, "POST", "uploads") {
		t.Fatal("the frontend deploys made no multipart upload or no deletion: the test no longer covers them")
	}

	r.CheckPolicy(t)
}

// writeWebapp writes a webapp build of release v under dir with one asset
// of size bytes, replacing the last.
func writeWebapp(t *testing.T, dir, v string, size int) {
	t.Helper()
	dist := filepath.Join(dir, "webapp", "dist", "webapp", "browser")
	if err := os.RemoveAll(dist); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"index.html":              []byte(`<!doctype html><script src="main-` + v + `.js"></script>`),
		"config.json":             []byte(`{"apiBaseUrl":"/api"}`),
		"main-" + v + ".js":       []byte("console.log(" + v + ")"),
		"media/asset-" + v + ".b": bytes.Repeat([]byte(v), size),
	}
	for name, data := range files {
		p := filepath.Join(dist, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// recorded reports whether moto saw a request of method with query.
func recorded(r *awsenvtest.Recorded, method, query string) bool {
	for _, req := range r.AWS.Requests() {
		if req.Method == method && req.Query.Has(query) && strings.HasPrefix(req.Path, "/"+r.Outputs.WebappBucket) {
			return true
		}
	}
	return false
}
