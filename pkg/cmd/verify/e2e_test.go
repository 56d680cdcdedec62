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

// cmdRun is one run of the command and what it left.
type cmdRun struct {
	rep         *loadtest.Report
	out, errOut string
	reportDir   string
	err         error
}

// runCmd runs `empctl verify-zero-downtime` with args against e; set, when
// not nil, changes the options before the run.
func runCmd(t *testing.T, e env.Environment, set func(*Options), args ...string) cmdRun {
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: e.Name(), Output: cmdutil.OutputText, Dir: t.TempDir()}}
	r := cmdRun{reportDir: t.TempDir()}
	cmd := NewCmdVerify(f, func(o *Options) error {
		o.Env = func() (env.Environment, error) { return e, nil }
		o.ReportDir = r.reportDir
		o.Report = func(rep *loadtest.Report) { r.rep = rep }
		if set != nil {
			set(o)
		}
		return Run(t.Context(), o)
	})
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	r.err = cmd.Execute()
	r.out, r.errOut = out.String(), errOut.String()
	t.Logf("stdout:\n%s\nstderr:\n%s", r.out, r.errOut)
	return r
}

// runVerify runs `empctl verify-zero-downtime --rate 200` against the local
// environment in stateDir and returns its report and error.
func runVerify(t *testing.T, stateDir string, extraEnv map[string]string, args ...string) (*loadtest.Report, string, error) {
	e := local.NewEnv(localtest.RepoRoot(t), stateDir)
	r := runCmd(t, e, func(o *Options) { o.SetEnv = extraEnv }, append([]string{"--rate", "200", "--warmup", "3s", "--cooldown", "3s"}, args...)...)
	return r.rep, r.out, r.err
}

// The end-to-end proof: at 200 requests per second for at least 10,000
// requests through the local load balancer, with `empctl up`'s timings,
// three rolling deploys of 3 real server replicas (a replica SIGKILLed
// during the first), then a rollback: zero failed requests, every
// acknowledged write stored once, and the rolled-back version answering
// everything at the end.
func TestVerifyZeroDowntimeAcrossRolloutsARollbackAndAKill(t *testing.T) {
	opts := localtest.UpOptions(t)
	opts.WebDist = t.TempDir()
	if err := os.WriteFile(filepath.Join(opts.WebDist, "index.html"), []byte("<!doctype html><title>app</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	stack := localtest.Start(t, opts)
	old := stack.Status().Version

	rep, out, err := runVerify(t, opts.StateDir, nil, "--rollouts", "3", "--rollback", "--kill", "--duration", "52s")
	if err != nil {
		t.Fatalf("verify-zero-downtime failed: %v", err)
	}
	if rep.Verdict != loadtest.VerdictPass || rep.Failed != 0 {
		t.Fatalf("verdict %s with %d failed requests (%v): %v", rep.Verdict, rep.Failed, rep.Failures, rep.Reasons)
	}
	if rep.Requests < 10000 {
		t.Fatalf("only %d requests were sent; want at least 10,000", rep.Requests)
	}
	if len(rep.Targets) != 5 || len(rep.Skipped) != 0 {
		t.Fatalf("mix %v (skipped %v): want version, me, index.html, sign-ups and profile updates", rep.Targets, rep.Skipped)
	}
	w := rep.Writes
	if w == nil || w.Lost != 0 || w.Duplicated != 0 || w.Error != "" || w.Acknowledged == 0 || w.Verified != w.Acknowledged {
		t.Fatalf("writes %+v: want every acknowledged write verified", w)
	}
	var kinds []string
	var rollouts []*env.Rollout
	for _, a := range rep.Actions {
		kinds = append(kinds, a.Kind)
		if a.Error != "" {
			t.Fatalf("the %s failed: %s", a.Kind, a.Error)
		}
		if a.Rollout != nil {
			rollouts = append(rollouts, a.Rollout)
		}
	}
	if strings.Join(kinds, ",") != "rollout,kill,rollout,rollout,rollback" {
		t.Fatalf("actions %v, want a kill during the first of 3 rollouts, then a rollback", kinds)
	}
	for _, ro := range rollouts {
		if ro.Outcome != env.OutcomeCompleted {
			t.Fatalf("a rollout failed: %+v", ro)
		}
	}
	if want := rollouts[2].PreviousVersion; rep.ExpectedVersion != want || rollouts[3].Version != want {
		t.Fatalf("expected version %s after the rollback, want %s", rep.ExpectedVersion, want)
	}
	if rep.Versions[old] == 0 || len(rep.FinalVersions) != 1 || rep.FinalVersions[rep.ExpectedVersion] == 0 {
		t.Fatalf("versions %v, at the end %v: want %s at first and only %s at the end", rep.Versions, rep.FinalVersions, old, rep.ExpectedVersion)
	}
	for _, tg := range stack.Status().Targets {
		if tg.Version != rep.ExpectedVersion {
			t.Fatalf("after the rollback %s still runs %s", tg.ID, tg.Version)
		}
	}
	for _, p := range w.SignUps {
		if p.Count == 0 {
			t.Fatalf("no sign-up in the %s (sign-ups by phase %v): every phase must have its share", p.Phase, w.SignUps)
		}
	}
	if len(w.SignUps) != 7 {
		t.Fatalf("sign-ups by phase %v: want the warm-up, 3 rollouts, the kill, the rollback and the cool-down", w.SignUps)
	}
	if w.Accounts == 0 || w.Locked != w.Accounts {
		t.Fatalf("%d of the run's %d test users locked, want all", w.Locked, w.Accounts)
	}
	if !strings.Contains(out, "Writes    ") || !strings.Contains(out, "kill at ") || !strings.Contains(out, "test users locked") {
		t.Fatalf("the text report lacks the writes or the kill:\n%s", out)
	}
	t.Logf("requests %d, failed %d; writes acknowledged %d, verified %d, lost %d, duplicated %d; latency during p99 %.1f ms",
		rep.Requests, rep.Failed, w.Acknowledged, w.Verified, w.Lost, w.Duplicated, rep.Latency[loadtest.PhaseDuring].P99)
	for _, a := range rep.Actions {
		t.Logf("%s %s: %s", a.Kind, a.Target, a.Finished.Sub(a.Started).Round(100*time.Millisecond))
	}
}

// A release whose replicas cannot reach their database never passes /readyz:
// the rollout fails like ECS's circuit breaker, the old version keeps serving
// every request, and the command exits with the verdict code.
func TestBrokenReleaseFailsAndTheOldVersionKeepsServing(t *testing.T) {
	opts := localtest.Options(t)
	opts.HealthGrace = localtest.NeverReadyGrace
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
