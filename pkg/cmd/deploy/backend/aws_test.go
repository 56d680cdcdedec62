package backend

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/cmd/rollback"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
	"github.com/empctl/empctl/pkg/env"
)

// awsEnv is an AWS environment whose ECR and ELB are moto's, whose registry
// is a real one on loopback, and whose ECS is the scripted fake (moto never
// progresses a deployment), every request recorded; its state is the one
// provision leaves: the service's only deployment failed on the placeholder
// image.
func awsEnv(t *testing.T) (*awsenv.Env, *awsenvtest.Recorded) {
	t.Helper()
	r := awsenvtest.ProvisionRecorded(t, awsenvtest.RecordedOptions{})
	r.ECS.SetFailedFirstDeployment(r.TaskDefinitionARN, 3)
	o := r.Outputs
	// desired_count changed in terraform/ after the service was created: the
	// deploy applies it (Terraform ignores the service's count).
	o.DesiredCount = "4"

	root, _ := filepath.Abs("../../../..")
	e, err := awsenv.New(root, config.Environment{Name: awsenvtest.EnvName, Region: r.Config.Region}, o)
	if err != nil {
		t.Fatal(err)
	}
	return e, r
}

func deploy(t *testing.T, e env.Environment, args ...string) cmdtest.Result {
	return cmdtest.Run(t, newCmd, e, append([]string{"--poll-interval", "10ms", "--timeout", "5m"}, args...)...)
}

// The path a user takes after provision: the first deploy brings the failed
// service to its three tasks, and says what it found.
func TestAWSFirstDeployThenCircuitBreaker(t *testing.T) {
	e, rec := awsEnv(t)
	fake := rec.ECS
	fake.Script(1, ecsfake.Launch(4), ecsfake.Healthy(), ecsfake.Complete())
	r := deploy(t, e)
	if r.Code != cmdutil.ExitOK || !strings.Contains(r.Out, "is serving") {
		t.Fatalf("first deploy: exit %d, %v\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	for _, want := range []string{"Pushed ", "Registered empctl-api:2", "never had a successful deployment", "deployments: PRIMARY rev 2"} {
		if !strings.Contains(r.ErrOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.ErrOut)
		}
	}
	if s := fake.Snapshot(); aws.ToString(s.TaskDefinition) != ecsfake.TaskDefinitionARN(2) || s.DesiredCount != 4 {
		t.Fatalf("service on %s with %d tasks desired after the first deploy, want revision 2 and 4", aws.ToString(s.TaskDefinition), s.DesiredCount)
	}

	// The same build is running and steady: nothing to do without --force.
	if r := deploy(t, e); r.Code != cmdutil.ExitOK || !strings.Contains(r.ErrOut, "already running") {
		t.Fatalf("redeploy of the running build: exit %d, %v\n%s", r.Code, r.Err, r.ErrOut)
	}

	// A forced redeploy that the circuit breaker rolls back: the trap where
	// the service looks stable again. Exit 3, and the reason.
	fake.Script(2, ecsfake.Launch(4), ecsfake.FailTasks(4, "Essential container in task exited", aws.Int32(1)),
		ecsfake.CircuitBreakerRollback(), ecsfake.RollbackComplete())
	r = deploy(t, e, "--force", "-o", "json")
	if r.Code != cmdutil.ExitVerdict {
		t.Fatalf("rolled-back deploy: exit %d (want %d), %v\n%s\n%s", r.Code, cmdutil.ExitVerdict, r.Err, r.Out, r.ErrOut)
	}
	var ro env.Rollout
	if err := json.Unmarshal([]byte(r.Out), &ro); err != nil || ro.Outcome != env.OutcomeFailed || !strings.Contains(ro.Reason, "rolled back to revision 2") {
		t.Fatalf("rollout JSON %+v, %v\n%s", ro, err, r.Out)
	}
	if len(ro.Logs) == 0 || !strings.Contains(strings.Join(ro.Logs, "\n"), "exited 1") {
		t.Errorf("the stopped tasks' reasons and exit codes are missing: %+v", ro.Logs)
	}
	rec.CheckPolicy(t)
}

// Forced redeploys of one image run under versions of their own, and a
// rollback passes over the revision the circuit breaker rejected to the one
// that served before, reporting that revision's version.
func TestAWSForcedRedeployAndRollback(t *testing.T) {
	e, rec := awsEnv(t)
	fake := rec.ECS
	ok := func(n int) { fake.Script(n, ecsfake.Launch(4), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete()) }
	run := func(newCmd func(*cmdutil.Factory) *cobra.Command, want int, args ...string) env.Rollout {
		t.Helper()
		r := cmdtest.Run(t, newCmd, e, append([]string{"--poll-interval", "10ms", "--timeout", "5m", "-o", "json"}, args...)...)
		var ro env.Rollout
		if r.Code != want || json.Unmarshal([]byte(r.Out), &ro) != nil {
			t.Fatalf("%v: exit %d (want %d), %v\n%s\n%s", args, r.Code, want, r.Err, r.Out, r.ErrOut)
		}
		return ro
	}
	ok(1)
	first := run(newCmd, cmdutil.ExitOK) // revision 2
	ok(2)
	forced := run(newCmd, cmdutil.ExitOK, "--force") // revision 3: the same image
	if !strings.HasPrefix(forced.Version, first.Version+"+r") || forced.PreviousVersion != first.Version {
		t.Fatalf("forced redeploy ran %q after %q; want a version of its own", forced.Version, first.Version)
	}
	// The server reports the version it was deployed as.
	out, err := e.Status(t.Context())
	if err != nil || out.Version != forced.Version {
		t.Fatalf("status after the forced redeploy: version %q, %v", out.Version, err)
	}
	fake.Script(3, ecsfake.Launch(4), ecsfake.FailTasks(4, "Essential container in task exited", aws.Int32(1)),
		ecsfake.CircuitBreakerRollback(), ecsfake.RollbackComplete())
	run(newCmd, cmdutil.ExitVerdict, "--force") // revision 4, rejected
	ok(4)
	run(newCmd, cmdutil.ExitOK, "--force") // revision 5

	ok(5)
	back := run(func(f *cmdutil.Factory) *cobra.Command { return rollback.NewCmdRollback(f, nil) }, cmdutil.ExitOK)
	if back.Revision != ecsfake.Family+":3" || back.Version != forced.Version {
		t.Fatalf("rollback went to %s (%s); want %s:3 (%s), passing over the rejected revision 4", back.Revision, back.Version, ecsfake.Family, forced.Version)
	}
	rec.CheckPolicy(t)
}
