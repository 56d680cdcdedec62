package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// runVerify runs `empctl verify-zero-downtime --rate 200` against the local
// environment in stateDir and returns its report and error.
func runVerify(t *testing.T, stateDir string, extraEnv map[string]string, args ...string) (*loadtest.Report, string, error) {
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: "local", Output: cmdutil.OutputText, Dir: stateDir}}
	var rep *loadtest.Report
	cmd := NewCmdVerify(f, func(o *Options) error {
		o.Env = func() (env.Environment, error) { return local.NewEnv(localtest.RepoRoot(t), stateDir), nil }
		o.ReportDir = t.TempDir()
		o.SetEnv = extraEnv
		o.Report = func(r *loadtest.Report) { rep = r }
		return Run(t.Context(), o)
	})
	cmd.SetArgs(append([]string{"--rate", "200", "--warmup", "3s", "--cooldown", "3s"}, args...))
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.Execute()
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	return rep, out.String(), err
}

// The end-to-end proof: 200 requests per second through the local
// load balancer across a full rolling deploy of 3 real server replicas, with
// zero failed requests and every request answered by the new version at the end.
func TestVerifyZeroDowntimeAcrossARollingDeploy(t *testing.T) {
	opts := localtest.Options(t)
	opts.WebDist = t.TempDir()
	if err := os.WriteFile(filepath.Join(opts.WebDist, "index.html"), []byte("<!doctype html><title>app</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	stack := localtest.Start(t, opts)
	old := stack.Status().Version

	rep, _, err := runVerify(t, opts.StateDir, nil)
	if err != nil {
		t.Fatalf("verify-zero-downtime failed: %v", err)
	}
	if rep.Verdict != loadtest.VerdictPass || rep.Failed != 0 {
		t.Fatalf("verdict %s with %d failed requests (%v): %v", rep.Verdict, rep.Failed, rep.Failures, rep.Reasons)
	}
	if len(rep.Targets) != 3 || len(rep.Skipped) != 0 {
		t.Fatalf("mix %v (skipped %v): want version, me and index.html", rep.Targets, rep.Skipped)
	}
	if rep.Requests < 200*6 {
		t.Fatalf("only %d requests were sent; 200/s for at least 6 s should send 1200", rep.Requests)
	}
	if rep.Versions[old] == 0 || rep.Versions[rep.ExpectedVersion] == 0 || rep.ExpectedVersion == old {
		t.Fatalf("versions %v: want both %s and the new %s", rep.Versions, old, rep.ExpectedVersion)
	}
	if len(rep.FinalVersions) != 1 || rep.FinalVersions[rep.ExpectedVersion] == 0 {
		t.Fatalf("at the end %v answered, want only %s", rep.FinalVersions, rep.ExpectedVersion)
	}
	st := stack.Status()
	for _, tg := range st.Targets {
		if tg.Version != rep.ExpectedVersion {
			t.Fatalf("after the rollout %s still runs %s", tg.ID, tg.Version)
		}
	}
	t.Logf("requests %d, failed %d, versions %v, rollout %s, latency during p99 %.1f ms",
		rep.Requests, rep.Failed, rep.Versions, rep.Rollout.Duration().Round(100*time.Millisecond), rep.Latency[loadtest.PhaseDuring].P99)
}

// A release whose replicas cannot reach their database never passes /readyz:
// the rollout fails like ECS's circuit breaker, the old version keeps serving
// every request, and the command exits with the verdict code.
func TestBrokenReleaseFailsAndTheOldVersionKeepsServing(t *testing.T) {
	opts := localtest.Options(t)
	opts.HealthGrace = 6 * time.Second
	stack := localtest.Start(t, opts)
	old := stack.Status().Version

	rep, out, err := runVerify(t, opts.StateDir, map[string]string{"DATABASE_URL": "mysql://nobody:x@127.0.0.1:1/none"})
	if cmdutil.ExitCode(err) != cmdutil.ExitVerdict {
		t.Fatalf("exit code %d (%v), want %d", cmdutil.ExitCode(err), err, cmdutil.ExitVerdict)
	}
	if rep.Rollout == nil || rep.Rollout.Outcome != env.OutcomeFailed || len(rep.Rollout.Logs) == 0 {
		t.Fatalf("rollout %+v: want a failed rollout with the failing replica's log lines", rep.Rollout)
	}
	if rep.Failed != 0 {
		t.Fatalf("%d requests failed during the broken rollout (%v); the old version should have served them all", rep.Failed, rep.Failures)
	}
	if len(rep.Versions) != 1 || rep.Versions[old] == 0 {
		t.Fatalf("versions %v, want only %s", rep.Versions, old)
	}
	if st := stack.Status(); st.Version != old || len(st.Targets) != 3 {
		t.Fatalf("after the failed rollout: %s with %d replicas, want %s with 3", st.Version, len(st.Targets), old)
	}
	if !containsAll(out, "rollout of", "failed", "last log lines") {
		t.Fatalf("the output does not explain the failure:\n%s", out)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
