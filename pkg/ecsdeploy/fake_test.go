package ecsdeploy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
)

// These tests replay rollouts on the scripted ECS fake (ecsfake), for what
// moto cannot show: service deployments, deployments that run their course,
// the circuit breaker, throttling.

const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/empctl-server@sha256:"

var svc = ecsdeploy.Service{Cluster: ecsfake.Cluster, Name: ecsfake.Service, Container: "api", Family: ecsfake.Family}

// modes runs a test against an ECS with the service deployments API and
// against one without (judging by deployments[] alone).
func modes(t *testing.T, test func(t *testing.T, f *ecsfake.Fake)) {
	for _, api := range []bool{true, false} {
		name := "ServiceDeploymentsAPI"
		if !api {
			name = "DeploymentsOnly"
		}
		t.Run(name, func(t *testing.T) { test(t, ecsfake.New(t, api)) })
	}
}

// recorder collects the progress of one rollout.
type recorder struct{ events []ecsdeploy.Event }

func (r *recorder) opts(timeout time.Duration) ecsdeploy.WatchOptions {
	return ecsdeploy.WatchOptions{PollInterval: time.Millisecond, Timeout: timeout, Progress: func(e ecsdeploy.Event) { r.events = append(r.events, e) }}
}

// count is how many messages contain s.
func (r *recorder) count(s string) int {
	n := 0
	for _, e := range r.events {
		if strings.Contains(e.Message, s) {
			n++
		}
	}
	return n
}

func (r *recorder) log(t *testing.T) {
	t.Helper()
	for _, e := range r.events {
		t.Logf("%s %s %s %v", e.Kind, e.Message, e.Deployment, e.Deployments)
	}
}

func clients(f *ecsfake.Fake) ecsdeploy.Clients { return ecsdeploy.Clients{ECS: f.Client()} }

// twoRevisions is a service steady on revision 1 with revision 2 to deploy.
func twoRevisions(f *ecsfake.Fake) (td1, td2 string) {
	td1 = f.AddTaskDefinition(1, image+strings.Repeat("1", 64), "v1")
	td2 = f.AddTaskDefinition(2, image+strings.Repeat("2", 64), "v2")
	f.SetService(td1, 3)
	return td1, td2
}

func TestRollingUpdate(t *testing.T) {
	modes(t, func(t *testing.T, f *ecsfake.Fake) {
		td1, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3), ecsfake.Stall(), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if err != nil || res.Outcome != ecsdeploy.Completed || res.From != td1 || res.To != td2 {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want completed from %s to %s", res, err, td1, td2)
		}
		if !strings.Contains(res.Summary(), "empctl-api is on empctl-api:2") {
			t.Errorf("summary %q", res.Summary())
		}
		for _, msg := range []string{"has started 3 tasks", "registered 3 targets", "has stopped 3 running tasks.", "deployment completed.", "has reached a steady state."} {
			if n := r.count(msg); n != 1 {
				t.Errorf("service event %q reported %d times, want once", msg, n)
			}
		}
		var sawBoth bool
		for _, e := range r.events {
			if e.Kind == ecsdeploy.EventDeployments && len(e.Deployments) == 2 && e.Deployments[0].Revision == 2 && e.Deployments[0].Status == "PRIMARY" {
				sawBoth = true
			}
		}
		if !sawBoth {
			r.log(t)
			t.Error("no progress showed the new PRIMARY deployment beside the old one")
		}
	})
}

// The trap: after the circuit breaker rolled back, the service is one
// deployment with every task running, and the SDK's ServicesStable waiter
// calls that success. It is a rollback.
func TestCircuitBreakerRollbackIsNotSuccess(t *testing.T) {
	modes(t, func(t *testing.T, f *ecsfake.Fake) {
		_, td2 := twoRevisions(f)
		exit1 := aws.Int32(1)
		f.Script(1,
			ecsfake.Launch(3), ecsfake.FailTasks(3, "Essential container in task exited", exit1),
			ecsfake.Launch(3), ecsfake.FailTasks(3, "Essential container in task exited", exit1),
			ecsfake.CircuitBreakerRollback(), ecsfake.Stall(), ecsfake.RollbackComplete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))

		s := f.Snapshot()
		if len(s.Deployments) != 1 || s.Deployments[0].RunningCount != s.DesiredCount {
			t.Fatalf("the fake did not end as the trap does: %+v", s.Deployments)
		}
		waiter := ecs.NewServicesStableWaiter(f.Client(), func(o *ecs.ServicesStableWaiterOptions) { o.MinDelay, o.MaxDelay = time.Millisecond, time.Millisecond })
		if err := waiter.Wait(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(svc.Cluster), Services: []string{svc.Name}}, time.Minute); err != nil {
			t.Fatalf("the SDK's ServicesStable waiter was expected to fall into the trap, but: %v", err)
		}

		var re *ecsdeploy.RolloutError
		if res.Outcome != ecsdeploy.RolledBack || !errors.Is(err, ecsdeploy.ErrRolloutFailed) || !errors.As(err, &re) {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want rolled back, a rollout failure", res, err)
		}
		if res.RolledBackTo != 1 {
			t.Errorf("rolled back to %d, want 1", res.RolledBackTo)
		}
		for _, want := range []string{"rollout of empctl-api:2 rolled back to revision 1", "circuit breaker", "stopped: Essential container in task exited; api exited 1"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if len(res.StoppedTasks) != 5 || *res.StoppedTasks[0].Containers[0].ExitCode != 1 {
			t.Errorf("stopped tasks = %+v, want the newest 5 with exit code 1", res.StoppedTasks)
		}
		if n := r.count("rolling back to deployment"); n != 1 {
			t.Errorf("the rollback event was reported %d times", n)
		}
	})
}

func TestImagePullFailure(t *testing.T) {
	modes(t, func(t *testing.T, f *ecsfake.Fake) {
		_, td2 := twoRevisions(f)
		pull := "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref " + image + strings.Repeat("2", 64) + ": not found"
		f.Script(1,
			ecsfake.Launch(3), ecsfake.FailTasks(3, pull, nil),
			ecsfake.Launch(3), ecsfake.FailTasks(3, pull, nil),
			ecsfake.CircuitBreakerRollback(), ecsfake.RollbackComplete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if res.Outcome != ecsdeploy.RolledBack || !errors.Is(err, ecsdeploy.ErrRolloutFailed) {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want rolled back", res, err)
		}
		if !strings.Contains(err.Error(), "stopped: CannotPullContainerError: pull image manifest") {
			t.Errorf("error %q does not say why the tasks stopped", err)
		}
		// The stopped tasks were reported as they stopped, each once.
		if n := r.count("stopped: CannotPullContainerError"); n != 6 {
			r.log(t)
			t.Errorf("%d stopped tasks reported in the progress, want 6", n)
		}
	})
}

func TestTimeoutRollsBack(t *testing.T) {
	t.Run("StopServiceDeployment", func(t *testing.T) {
		f := ecsfake.New(t, true)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3)) // and then nothing: tasks that never turn healthy
		f.OnStop(ecsfake.StopRollback(), ecsfake.RollbackComplete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(50*time.Millisecond))
		if res.Outcome != ecsdeploy.TimedOut || !errors.Is(err, ecsdeploy.ErrRolloutFailed) {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want timed out", res, err)
		}
		if f.StopRequested() != "ROLLBACK" {
			t.Errorf("StopServiceDeployment stop type = %q, want ROLLBACK", f.StopRequested())
		}
		if rb := res.Rollback; rb == nil || rb.Method != "stop-service-deployment" || rb.Outcome != ecsdeploy.Completed || rb.To != 1 {
			t.Errorf("rollback = %+v", res.Rollback)
		}
		if !strings.Contains(err.Error(), "rollout of empctl-api:2 timed out after") || !strings.Contains(err.Error(), "; rolled back to revision 1") {
			t.Errorf("error %q", err)
		}
	})
	t.Run("AlreadyRollingBack", func(t *testing.T) {
		// The circuit breaker began its rollback, slower than the timeout:
		// ECS accepts the stop and carries on with its rollback, which the
		// watch follows and reports as the breaker's, not empctl's. The
		// fake's stop first runs the steps before WaitForStop, so the stop
		// finds the rollback started whenever the timeout comes.
		f := ecsfake.New(t, true)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3), ecsfake.FailTasks(3, "Essential container in task exited", aws.Int32(2)),
			ecsfake.CircuitBreakerRollback(), ecsfake.WaitForStop(), ecsfake.RollbackComplete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Millisecond))
		if res.Outcome != ecsdeploy.TimedOut || !errors.Is(err, ecsdeploy.ErrRolloutFailed) || f.Calls("UpdateService") != 1 {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want timed out, and no second update", res, err)
		}
		if rb := res.Rollback; rb == nil || rb.Method != "none" || rb.Outcome != ecsdeploy.Completed || rb.To != 1 {
			t.Errorf("rollback = %+v", res.Rollback)
		}
		if f.StopRequested() != "ROLLBACK" {
			t.Errorf("the fake got stop type %q; want the stop sent (and accepted)", f.StopRequested())
		}
		if r.count("the deployment circuit breaker was rolling back the deployment already (ROLLBACK_IN_PROGRESS); following it") != 1 ||
			!strings.Contains(err.Error(), "; not rolled back by empctl: the deployment circuit breaker was rolling back already, and ECS rolled it back to revision 1") {
			r.log(t)
			t.Errorf("error %q", err)
		}
	})
	t.Run("UpdateService", func(t *testing.T) {
		f := ecsfake.New(t, false)
		td1, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3))
		f.Script(2, ecsfake.Settle()) // the deploy of the previous revision
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(50*time.Millisecond))
		if res.Outcome != ecsdeploy.TimedOut || !errors.Is(err, ecsdeploy.ErrRolloutFailed) {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want timed out", res, err)
		}
		if rb := res.Rollback; rb == nil || rb.Method != "update-service" || rb.Outcome != ecsdeploy.Completed || rb.To != 1 {
			t.Errorf("rollback = %+v", res.Rollback)
		}
		if got := aws.ToString(f.Snapshot().TaskDefinition); got != td1 {
			t.Errorf("service on %s after the rollback, want %s", got, td1)
		}
	})
	t.Run("NoRollback", func(t *testing.T) {
		f := ecsfake.New(t, true)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3))
		var r recorder
		opts := r.opts(50 * time.Millisecond)
		opts.NoRollback = true
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, opts)
		if res.Outcome != ecsdeploy.TimedOut || res.Rollback == nil || res.Rollback.Method != "none" || f.StopRequested() != "" {
			t.Fatalf("Deploy = %+v, %v; want timed out and left alone", res, err)
		}
		if !strings.Contains(err.Error(), "not rolled back: rollback disabled; the deployment goes on in ECS") {
			t.Errorf("error %q", err)
		}
	})
}

// After provision the service sits on a placeholder image that does not exist:
// its only deployment failed, no task runs, there is nothing to roll back to.
func TestFirstDeployAfterProvision(t *testing.T) {
	firstDeploy := func(f *ecsfake.Fake) (td1, td2 string) {
		td1 = f.AddTaskDefinition(1, "123456789012.dkr.ecr.us-east-1.amazonaws.com/empctl-server:placeholder", "")
		td2 = f.AddTaskDefinition(2, image+strings.Repeat("2", 64), "v1")
		f.SetFailedFirstDeployment(td1, 3)
		return td1, td2
	}
	modes(t, func(t *testing.T, f *ecsfake.Fake) {
		_, td2 := firstDeploy(f)
		f.Script(1, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Complete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if err != nil || res.Outcome != ecsdeploy.Completed {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want completed", res, err)
		}
		if s := f.Snapshot(); s.Deployments[0].RunningCount != 3 || aws.ToString(s.TaskDefinition) != td2 {
			t.Errorf("service after the first deploy: %+v", s.Deployments)
		}
		if r.count("runs no task: its deployment ecs-svc/") != 1 || r.count("placeholder image: deploying empctl-api:2 starts its 3 tasks; there is nothing to roll back to") != 1 {
			r.log(t)
			t.Error("the progress does not explain what it found")
		}
		if f.Calls("ListServiceDeployments") > 0 && r.count("the service has never had a successful deployment;") != 1 {
			r.log(t)
			t.Error("the progress does not say the service never had a successful deployment")
		}
	})
	t.Run("TimeoutDoesNotRollBackToThePlaceholder", func(t *testing.T) {
		f := ecsfake.New(t, true)
		_, td2 := firstDeploy(f)
		f.Script(1, ecsfake.Launch(3))
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, ecsdeploy.WatchOptions{PollInterval: time.Millisecond, Timeout: 50 * time.Millisecond})
		if res.Outcome != ecsdeploy.TimedOut || res.Rollback == nil || res.Rollback.Method != "none" || f.StopRequested() != "" {
			t.Fatalf("Deploy = %+v, %v; want a timeout and no rollback", res, err)
		}
		if !strings.Contains(err.Error(), "not rolled back: nothing to roll back to: empctl-api:1 never ran") {
			t.Errorf("error %q", err)
		}
	})
}

// ThrottlingException is retried by the SDK's retryer; when its attempts run
// out, the watch looks again at the next poll instead of failing.
func TestThrottling(t *testing.T) {
	f := ecsfake.New(t, true)
	_, td2 := twoRevisions(f)
	f.Script(1, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
	f.Throttle("DescribeServices", 2)           // within the retryer's 3 attempts
	f.Throttle("UpdateService", 1)              // a write is retried too
	f.Throttle("DescribeServiceDeployments", 4) // beyond them: the next poll
	var r recorder
	res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
	if err != nil || res.Outcome != ecsdeploy.Completed {
		r.log(t)
		t.Fatalf("Deploy = %+v, %v; want completed despite throttling", res, err)
	}
	if f.Calls("UpdateService") != 2 {
		t.Errorf("UpdateService called %d times, want 2 (one throttled)", f.Calls("UpdateService"))
	}
	if r.count("ECS did not answer") != 1 || r.count("ThrottlingException") != 1 {
		r.log(t)
		t.Error("the progress does not say once that ECS throttled the watch")
	}
}

// ECS's reads are eventually consistent: DescribeServiceDeployments may not
// describe a deployment just created. The watch looks again, saying so, for a
// bounded number of polls, then fails clearly.
func TestServiceDeploymentNotDescribedYet(t *testing.T) {
	t.Run("ForAFewPolls", func(t *testing.T) {
		f := ecsfake.New(t, true)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Stall(), ecsfake.Stall(), ecsfake.Drain(), ecsfake.Complete())
		f.MissingServiceDeployments(3)
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if err != nil || res.Outcome != ecsdeploy.Completed {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want completed once ECS describes the deployment", res, err)
		}
		for i := 1; i <= 3; i++ {
			if r.count(fmt.Sprintf("ECS does not describe the service deployment (MISSING); looking again at the next poll (%d of 6)", i)) != 1 {
				r.log(t)
				t.Fatalf("the progress does not report look %d at a deployment ECS did not describe", i)
			}
		}
	})
	t.Run("ForTooLong", func(t *testing.T) {
		f := ecsfake.New(t, true)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3))
		f.MissingServiceDeployments(1000)
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if err == nil || !strings.Contains(err.Error(), "(MISSING), 7 looks in a row; the watch stops here, but the deployment may go on") || !strings.Contains(err.Error(), "service-deployment/") {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want a clear failure naming the deployment", res, err)
		}
		if n := f.Calls("DescribeServiceDeployments"); n != 7 {
			t.Errorf("DescribeServiceDeployments called %d times, want 7 (6 looks again, then the failure)", n)
		}
		t.Logf("error: %v", err)
	})
}

// Ctrl-C detaches the watch: the error wraps context.Canceled, says the
// deployment goes on, and nothing is stopped in ECS.
func TestCancelDetaches(t *testing.T) {
	f := ecsfake.New(t, true)
	_, td2 := twoRevisions(f)
	f.Script(1, ecsfake.Launch(3))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opts := ecsdeploy.WatchOptions{PollInterval: time.Millisecond, Progress: func(e ecsdeploy.Event) {
		if e.Kind == ecsdeploy.EventServiceEvent && strings.Contains(e.Message, "has started 3 tasks") {
			cancel()
		}
	}}
	_, err := ecsdeploy.Deploy(ctx, clients(f), svc, td2, opts)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ecsdeploy.ErrRolloutFailed) {
		t.Fatalf("err = %v; want context.Canceled, not a failed rollout", err)
	}
	if !strings.Contains(err.Error(), "service-deployment/") || !strings.Contains(err.Error(), "continues in ECS") {
		t.Errorf("error %q does not say which deployment goes on", err)
	}
	if f.StopRequested() != "" || aws.ToString(f.Snapshot().TaskDefinition) != td2 {
		t.Error("cancelling the watch changed the deployment")
	}
}

func TestRollback(t *testing.T) {
	f := ecsfake.New(t, true)
	f.AddTaskDefinition(1, image+strings.Repeat("1", 64), "v1")
	td2 := f.AddTaskDefinition(2, image+strings.Repeat("2", 64), "v2")
	f.AddTaskDefinition(3, "123456789012.dkr.ecr.us-east-1.amazonaws.com/empctl-server:placeholder", "") // Terraform's
	td4 := f.AddTaskDefinition(4, image+strings.Repeat("4", 64), "v3")
	f.SetService(td4, 3)
	f.Script(1, ecsfake.Settle())
	f.Script(2, ecsfake.Settle())
	var r recorder
	res, err := ecsdeploy.Rollback(t.Context(), clients(f), svc, 0, r.opts(time.Hour))
	if err != nil || res.Outcome != ecsdeploy.Completed || res.To != td2 || res.From != td4 {
		t.Fatalf("Rollback = %+v, %v; want completed on %s", res, err, td2)
	}
	if r.count("rolling back empctl-api from empctl-api:4 to empctl-api:2") != 1 {
		r.log(t)
		t.Error("the progress does not say where the rollback goes")
	}
	res, err = ecsdeploy.Rollback(t.Context(), clients(f), svc, 1, r.opts(time.Hour))
	if err != nil || res.Outcome != ecsdeploy.Completed || ecsdeploy.Revision(res.To) != 1 {
		t.Fatalf("Rollback to 1 = %+v, %v", res, err)
	}
	if _, err := ecsdeploy.Rollback(t.Context(), clients(f), svc, 1, r.opts(time.Hour)); err == nil || !strings.Contains(err.Error(), "already runs empctl-api:1") {
		t.Errorf("Rollback to the running revision = %v", err)
	}
}

// A forced redeploy of the running revision is a deployment of its own: the
// watch follows the new one, not the old deployment of the same revision, even
// when the first look, eventually consistent, still shows only the old one.
func TestRedeploySameRevision(t *testing.T) {
	modes(t, func(t *testing.T, f *ecsfake.Fake) {
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Settle())
		if _, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, ecsdeploy.WatchOptions{PollInterval: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		first := aws.ToString(f.Snapshot().Deployments[0].Id)
		f.Script(2, ecsfake.Lagging(), ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if err != nil || res.Outcome != ecsdeploy.Completed || res.Deployment == first {
			r.log(t)
			t.Fatalf("redeploy = %+v, %v; want the new deployment completed, not %s", res, err, first)
		}
		if r.count("has reached a steady state.") != 1 {
			r.log(t)
			t.Error("the redeploy ended before its deployment did")
		}
	})
}

// Right after an update ECS may not describe the service's new current
// deployment yet (eventually consistent reads). Status, which `deploy backend`
// reads before it builds and `verify --kill` reads during a rollout, describes
// the service from its deployments then instead of failing.
func TestStatusWhileTheServiceDeploymentIsNotDescribed(t *testing.T) {
	f := ecsfake.New(t, true)
	_, td2 := twoRevisions(f)
	if _, err := f.Client().UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String(svc.Cluster), Service: aws.String(svc.Name), TaskDefinition: aws.String(td2),
	}); err != nil {
		t.Fatal(err)
	}
	f.MissingServiceDeployments(1)
	st, err := ecsdeploy.Status(t.Context(), clients(f), svc, 5)
	if err != nil {
		t.Fatalf("Status while ECS does not describe the current deployment: %v", err)
	}
	if f.Calls("DescribeServiceDeployments") != 1 {
		t.Fatalf("DescribeServiceDeployments called %d times, want 1 (answered MISSING)", f.Calls("DescribeServiceDeployments"))
	}
	if st.TaskDefinition != td2 || st.Revision != 2 || st.Version != "v2" || st.Deployment != nil {
		t.Errorf("Status = %+v; want the service's revision 2 and no service deployment", st)
	}
	if len(st.Deployments) != 2 || st.Deployments[0].Status != "PRIMARY" || st.Deployments[0].RolloutState != "IN_PROGRESS" {
		t.Errorf("deployments = %+v; want the new PRIMARY one in progress beside the old one", st.Deployments)
	}

	// Once ECS describes it, Status shows it: PENDING, as every service
	// deployment starts, until its tasks launch.
	st, err = ecsdeploy.Status(t.Context(), clients(f), svc, 5)
	if err != nil || st.Deployment == nil || st.Deployment.Status != "PENDING" || !st.Deploying() {
		t.Fatalf("Status = %+v, %v; want the service deployment PENDING, deploying", st.Deployment, err)
	}
}

// An ECS endpoint whose services show currentServiceDeployment but that does
// not know the service deployments operations (the field and the API are not
// one release), or answers them UnsupportedFeatureException (a Region without
// the feature): the watch learns it when DescribeServiceDeployments fails,
// says so once, and judges by the service's deployments from then on.
func TestCurrentServiceDeploymentWithoutTheAPI(t *testing.T) {
	for _, refusal := range []string{"UnknownOperation", "UnsupportedFeature"} {
		t.Run(refusal, func(t *testing.T) {
			testWithoutTheAPI(t, func(t *testing.T) *ecsfake.Fake {
				f := ecsfake.New(t, false)
				if refusal == "UnsupportedFeature" {
					f.UnsupportedFeature()
				} else {
					f.CurrentServiceDeploymentWithoutAPI()
				}
				return f
			})
		})
	}
}

func testWithoutTheAPI(t *testing.T, fieldOnly func(*testing.T) *ecsfake.Fake) {
	const noAPI = "ECS has no service deployments API here"
	t.Run("RollingUpdate", func(t *testing.T) {
		f := fieldOnly(t)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Drain(), ecsfake.Complete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if err != nil || res.Outcome != ecsdeploy.Completed || res.To != td2 {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want completed", res, err)
		}
		if r.count(noAPI) != 1 || f.Calls("DescribeServiceDeployments") != 1 {
			r.log(t)
			t.Errorf("the watch asked DescribeServiceDeployments %d times and said %d times that it is missing; want once each",
				f.Calls("DescribeServiceDeployments"), r.count(noAPI))
		}
		if !strings.HasPrefix(res.Deployment, "ecs-svc/") {
			t.Errorf("followed %q, want the PRIMARY deployment's id", res.Deployment)
		}
	})
	t.Run("CircuitBreakerRollback", func(t *testing.T) {
		f := fieldOnly(t)
		_, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3), ecsfake.FailTasks(3, "Essential container in task exited", aws.Int32(1)),
			ecsfake.CircuitBreakerRollback(), ecsfake.RollbackComplete())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour))
		if res.Outcome != ecsdeploy.RolledBack || res.RolledBackTo != 1 || !errors.Is(err, ecsdeploy.ErrRolloutFailed) {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want rolled back to revision 1", res, err)
		}
	})
	t.Run("TimeoutRollsBackWithUpdateService", func(t *testing.T) {
		f := fieldOnly(t)
		td1, td2 := twoRevisions(f)
		f.Script(1, ecsfake.Launch(3))
		f.Script(2, ecsfake.Settle())
		var r recorder
		res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(50*time.Millisecond))
		if res.Outcome != ecsdeploy.TimedOut || !errors.Is(err, ecsdeploy.ErrRolloutFailed) {
			r.log(t)
			t.Fatalf("Deploy = %+v, %v; want timed out", res, err)
		}
		if rb := res.Rollback; rb == nil || rb.Method != "update-service" || rb.Outcome != ecsdeploy.Completed || rb.To != 1 {
			r.log(t)
			t.Errorf("rollback = %+v; want an UpdateService to revision 1", res.Rollback)
		}
		if n := f.Calls("StopServiceDeployment"); n != 0 {
			t.Errorf("StopServiceDeployment called %d times on an endpoint known to lack it", n)
		}
		if got := aws.ToString(f.Snapshot().TaskDefinition); got != td1 {
			t.Errorf("service on %s after the rollback, want %s", got, td1)
		}
	})
	t.Run("Status", func(t *testing.T) {
		f := fieldOnly(t)
		twoRevisions(f)
		st, err := ecsdeploy.Status(t.Context(), clients(f), svc, 5)
		if err != nil || st.Revision != 1 || st.Deployment != nil || len(st.Deployments) != 1 {
			t.Fatalf("Status = %+v, %v; want revision 1 from the service's deployments", st, err)
		}
	})
}

// The family's revisions carry tags (Terraform's default_tags), which
// Register copies: ECS authorizes them as ecs:TagResource (tag-on-create), so
// an identity without it cannot register, and the error must say which
// permission is missing and where the deploy permissions are listed.
func TestRegisterNeedsTagResource(t *testing.T) {
	f := ecsfake.New(t, true)
	td1, _ := twoRevisions(f)
	if _, err := f.Client().TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(ecsfake.TaskDefinitionARN(2)),
		Tags: []types.Tag{{Key: aws.String("Project"), Value: aws.String("empctl")}}}); err != nil {
		t.Fatal(err)
	}
	f.WithoutTagResource()
	_, err := ecsdeploy.Register(t.Context(), clients(f), svc, image+strings.Repeat("3", 64), "v3")
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) {
		t.Fatalf("Register without ecs:TagResource = %v; want ECS's AccessDeniedException", err)
	}
	for _, want := range []string{"not authorized to perform: ecs:TagResource", "allow ecs:TagResource on the task definitions of empctl-api", "terraform/README.md"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The fake refuses only the tags: an untagged register goes through.
	if _, err := f.Client().RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{Family: aws.String(ecsfake.Family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("api"), Image: aws.String(td1)}}}); err != nil {
		t.Errorf("untagged RegisterTaskDefinition without ecs:TagResource = %v; want it accepted", err)
	}
}

// ListServiceDeployments covers 90 days: a service older than that whose
// deployment failed may well have succeeded before, so an empty answer must
// not make the progress claim that it never did.
func TestNeverSucceededOnlyWithinTheHistory(t *testing.T) {
	f := ecsfake.New(t, true)
	f.AddTaskDefinition(1, image+strings.Repeat("1", 64), "v1")
	td2 := f.AddTaskDefinition(2, image+strings.Repeat("2", 64), "v2")
	f.SetFailedFirstDeployment(ecsfake.TaskDefinitionARN(1), 3)
	f.Age(100 * 24 * time.Hour)
	f.Script(1, ecsfake.Launch(3), ecsfake.Healthy(), ecsfake.Complete())
	var r recorder
	if res, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, r.opts(time.Hour)); err != nil || res.Outcome != ecsdeploy.Completed {
		r.log(t)
		t.Fatalf("Deploy = %+v, %v; want completed", res, err)
	}
	if r.count("runs no task: its deployment ecs-svc/") != 1 || r.count("never had a successful deployment") != 0 {
		r.log(t)
		t.Error("the progress claims the 100-day-old service never had a successful deployment from a 90-day history")
	}
	out, err := f.Client().ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(svc.Cluster), Service: aws.String(svc.Name)})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Errorf("ListServiceDeployments = %d deployments, %v; want only the one of the last 90 days", len(out.ServiceDeployments), err)
	}
}

// `rollback --to N` of a deregistered revision: ECS no longer describes it
// (nothing uses it), and the error says it was deregistered, not that the
// environment is not provisioned.
func TestRollbackToADeregisteredRevision(t *testing.T) {
	f := ecsfake.New(t, true)
	_, td2 := twoRevisions(f)
	f.Script(1, ecsfake.Settle())
	if _, err := ecsdeploy.Deploy(t.Context(), clients(f), svc, td2, ecsdeploy.WatchOptions{PollInterval: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	f.Deregister(1)
	_, err := ecsdeploy.Rollback(t.Context(), clients(f), svc, 1, ecsdeploy.WatchOptions{PollInterval: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "revision empctl-api:1 was deregistered (INACTIVE)") || !strings.Contains(err.Error(), "Roll back to an ACTIVE revision") {
		t.Errorf("Rollback --to 1 of a deregistered revision = %v", err)
	}
	if f.Calls("UpdateService") != 1 {
		t.Errorf("UpdateService called %d times; want only the deploy's", f.Calls("UpdateService"))
	}
	// The running revision deregistered: ECS still describes it while the
	// service uses it, so status works.
	f.Deregister(2)
	if st, err := ecsdeploy.Status(t.Context(), clients(f), svc, 1); err != nil || st.Revision != 2 || st.Version != "v2" {
		t.Errorf("Status on a deregistered running revision = %+v, %v", st, err)
	}
}

func TestDeploying(t *testing.T) {
	one := []ecsdeploy.Deployment{{Status: "PRIMARY"}}
	for status, want := range map[string]bool{
		"PENDING": true, "IN_PROGRESS": true, "STOP_REQUESTED": true, "ROLLBACK_REQUESTED": true, "ROLLBACK_IN_PROGRESS": true,
		"SUCCESSFUL": false, "STOPPED": false, "ROLLBACK_SUCCESSFUL": false, "ROLLBACK_FAILED": false,
	} {
		st := ecsdeploy.ServiceStatus{Deployments: one, Deployment: &ecsdeploy.CurrentDeployment{Status: status}}
		if st.Deploying() != want {
			t.Errorf("Deploying with the service deployment %s = %v, want %v", status, st.Deploying(), want)
		}
	}
}
