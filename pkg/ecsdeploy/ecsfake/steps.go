package ecsfake

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The messages below follow the service events ECS writes (see "Amazon ECS
// service event messages" in the ECS developer guide).

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// SetService makes the service steady on taskDef: one PRIMARY deployment,
// COMPLETED, desired tasks running and healthy, its service deployment
// SUCCESSFUL.
func (f *Fake) SetService(taskDef string, desired int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.initService(desired)
	f.startDeployment(taskDef)
	f.launch(desired)
	f.healthy()
	f.complete()
	f.svc.Events = nil
}

// SetFailedFirstDeployment makes the service look as provision leaves it:
// its one deployment, of a placeholder image that does not exist, FAILED
// with no task running, the circuit breaker having stopped launching tasks
// and nothing to roll back to. Its service deployment is ROLLBACK_FAILED
// (an assumption: AWS documents no status for this case).
func (f *Fake) SetFailedFirstDeployment(taskDef string, desired int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.initService(desired)
	f.startDeployment(taskDef)
	for range 3 {
		f.launch(desired)
		f.failTasks(desired, "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/empctl-server:placeholder: not found", nil)
	}
	d := f.primary()
	d.RolloutState = types.DeploymentRolloutStateFailed
	d.RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
	sd := f.sds[f.current]
	sd.Status = types.ServiceDeploymentStatusRollbackFailed
	sd.StatusReason = aws.String("ECS deployment circuit breaker: tasks failed to start; no previous service revision to roll back to.")
	f.event("(deployment %s) deployment failed: tasks failed to start.", aws.ToString(d.Id))
}

func (f *Fake) initService(desired int32) {
	f.svc = types.Service{
		ServiceName: aws.String(Service), ServiceArn: aws.String(prefix + "service/" + Cluster + "/" + Service),
		ClusterArn: aws.String(prefix + "cluster/" + Cluster), Status: aws.String("ACTIVE"),
		DesiredCount: desired, LaunchType: types.LaunchTypeFargate, CreatedAt: aws.Time(time.Now()),
	}
}

// startDeployment does what UpdateService does: a new PRIMARY deployment of
// taskDef, the former PRIMARY now ACTIVE, a new service deployment PENDING
// ("Service deployments start in the PENDING state", "View service history
// using Amazon ECS service deployments"); it turns IN_PROGRESS when its first
// tasks launch.
func (f *Fake) startDeployment(taskDef string) {
	for i := range f.svc.Deployments {
		f.svc.Deployments[i].Status = aws.String("ACTIVE")
	}
	f.seq++
	now := time.Now()
	id := fmt.Sprintf("ecs-svc/%d", 4700000000+f.seq)
	f.svc.Deployments = append([]types.Deployment{{
		Id: aws.String(id), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(taskDef),
		DesiredCount: f.svc.DesiredCount, RolloutState: types.DeploymentRolloutStateInProgress,
		RolloutStateReason: aws.String("ECS deployment " + id + " in progress."),
		CreatedAt:          &now, UpdatedAt: &now, LaunchType: types.LaunchTypeFargate,
	}}, f.svc.Deployments...)
	var source []types.ServiceRevisionSummary
	if old := f.sds[f.current]; old != nil && old.TargetServiceRevision != nil {
		source = []types.ServiceRevisionSummary{*old.TargetServiceRevision}
	}
	arn := fmt.Sprintf("%sservice-deployment/%s/%s/dep%04d", prefix, Cluster, Service, f.seq)
	f.sds[arn] = &types.ServiceDeployment{
		ServiceDeploymentArn: aws.String(arn), ServiceArn: f.svc.ServiceArn, ClusterArn: f.svc.ClusterArn,
		Status: types.ServiceDeploymentStatusPending, CreatedAt: &now, StartedAt: &now, UpdatedAt: &now,
		TargetServiceRevision:    &types.ServiceRevisionSummary{Arn: aws.String(fmt.Sprintf("%sservice-revision/%s/%s/rev%04d", prefix, Cluster, Service, f.seq)), RequestedTaskCount: f.svc.DesiredCount},
		SourceServiceRevisions:   source,
		DeploymentCircuitBreaker: &types.ServiceDeploymentCircuitBreaker{Status: types.ServiceDeploymentRollbackMonitorsStatusMonitoring, Threshold: 10},
	}
	f.current = arn
	f.svc.CurrentServiceDeployment = aws.String(arn)
	f.svc.TaskDefinition = aws.String(taskDef)
}

func (f *Fake) primary() *types.Deployment {
	for i := range f.svc.Deployments {
		if aws.ToString(f.svc.Deployments[i].Status) == "PRIMARY" {
			return &f.svc.Deployments[i]
		}
	}
	return nil
}

func (f *Fake) event(format string, args ...any) {
	f.seq++
	now := time.Now()
	f.svc.Events = append([]types.ServiceEvent{{
		Id: aws.String(fmt.Sprintf("ev-%06d", f.seq)), CreatedAt: &now,
		Message: aws.String("(service " + Service + ") " + fmt.Sprintf(format, args...)),
	}}, f.svc.Events...)
}

// Launch starts n tasks of the PRIMARY deployment (PROVISIONING, pending).
func Launch(n int32) Step { return func(f *Fake) { f.launch(n) } }

func (f *Fake) launch(n int32) {
	if sd := f.sds[f.current]; sd != nil && sd.Status == types.ServiceDeploymentStatusPending {
		sd.Status = types.ServiceDeploymentStatusInProgress
	}
	f.launchOf(f.primary(), n)
}

// launchOf starts n tasks of deployment d.
func (f *Fake) launchOf(d *types.Deployment, n int32) {
	var ids []string
	for range n {
		f.seq++
		id := fmt.Sprintf("%032x", f.seq)
		az := zones[f.seq%len(zones)]
		f.tasks = append(f.tasks, types.Task{
			TaskArn: aws.String(prefix + "task/" + Cluster + "/" + id), TaskDefinitionArn: d.TaskDefinition,
			LastStatus: aws.String("PROVISIONING"), DesiredStatus: aws.String("RUNNING"), AvailabilityZone: aws.String(az),
			StartedBy: d.Id, Group: aws.String("service:" + Service),
			Attachments: []types.Attachment{{Type: aws.String("ElasticNetworkInterface"), Details: []types.KeyValuePair{
				{Name: aws.String("privateIPv4Address"), Value: aws.String(fmt.Sprintf("10.0.%d.%d", f.seq%len(zones), f.seq%250+2))},
			}}},
		})
		ids = append(ids, "(task "+id+")")
	}
	d.PendingCount += n
	f.event("has started %d tasks: %s.", n, strings.Join(ids, " "))
}

// Healthy turns the PRIMARY deployment's pending tasks running and healthy:
// they passed their health checks and joined the target group.
func Healthy() Step { return func(f *Fake) { f.healthy() } }

func (f *Fake) healthy() {
	d := f.primary()
	for i := range f.tasks {
		t := &f.tasks[i]
		if aws.ToString(t.StartedBy) == aws.ToString(d.Id) && aws.ToString(t.LastStatus) == "PROVISIONING" {
			t.LastStatus, t.HealthStatus = aws.String("RUNNING"), types.HealthStatusHealthy
			now := time.Now()
			t.StartedAt = &now
		}
	}
	n := d.PendingCount
	d.RunningCount += n
	d.PendingCount = 0
	f.event("registered %d targets in (target-group %selasticloadbalancing:%s:%s:targetgroup/empctl-api/0123456789abcdef)", n, "arn:aws:", Region, Account)
}

// Drain stops the tasks of every deployment but the PRIMARY one.
func Drain() Step {
	return func(f *Fake) {
		var n int32
		for i := range f.svc.Deployments {
			d := &f.svc.Deployments[i]
			if aws.ToString(d.Status) == "PRIMARY" {
				continue
			}
			n += d.RunningCount
			d.RunningCount = 0
			f.stopTasksOf(aws.ToString(d.Id), "Scaling activity initiated by (deployment "+aws.ToString(f.primary().Id)+")", nil)
		}
		f.event("has stopped %d running tasks.", n)
	}
}

// Complete ends the PRIMARY deployment well: it is the only one left,
// COMPLETED, and its service deployment SUCCESSFUL.
func Complete() Step { return func(f *Fake) { f.complete() } }

func (f *Fake) complete() {
	d := *f.primary()
	d.RolloutState = types.DeploymentRolloutStateCompleted
	d.RolloutStateReason = aws.String("ECS deployment " + aws.ToString(d.Id) + " completed.")
	f.svc.Deployments = []types.Deployment{d}
	sd := f.sds[f.current]
	now := time.Now()
	sd.Status, sd.FinishedAt = types.ServiceDeploymentStatusSuccessful, &now
	sd.StatusReason = nil
	f.event("(deployment %s) deployment completed.", aws.ToString(d.Id))
	f.event("has reached a steady state.")
}

// FailTasks stops n of the PRIMARY deployment's tasks that were starting,
// with stoppedReason, the essential container exiting with exitCode (nil:
// it never ran), and counts them for the circuit breaker.
func FailTasks(n int32, stoppedReason string, exitCode *int32) Step {
	return func(f *Fake) { f.failTasks(n, stoppedReason, exitCode) }
}

func (f *Fake) failTasks(n int32, reason string, exitCode *int32) {
	d := f.primary()
	stopped := f.stopTasksOf(aws.ToString(d.Id), reason, exitCode)
	n = min(n, int32(len(stopped)))
	d.PendingCount -= min(n, d.PendingCount)
	d.FailedTasks += n
	if sd := f.sds[f.current]; sd != nil {
		sd.DeploymentCircuitBreaker.FailureCount += n
	}
	f.event("has stopped %d running tasks: %s.", n, strings.Join(stopped, " "))
}

// stopTasksOf stops the running or starting tasks started by a deployment
// and names them.
func (f *Fake) stopTasksOf(deployment, reason string, exitCode *int32) []string {
	var ids []string
	now := time.Now()
	for i := range f.tasks {
		t := &f.tasks[i]
		if aws.ToString(t.StartedBy) != deployment || aws.ToString(t.DesiredStatus) != "RUNNING" {
			continue
		}
		t.DesiredStatus, t.LastStatus, t.StoppedAt = aws.String("STOPPED"), aws.String("STOPPED"), &now
		t.StoppedReason = aws.String(reason)
		ct := types.Container{Name: aws.String("api"), ExitCode: exitCode, LastStatus: aws.String("STOPPED")}
		if exitCode == nil {
			ct.Reason = aws.String(reason)
		}
		t.Containers = []types.Container{ct}
		ids = append(ids, "(task "+taskID(aws.ToString(t.TaskArn))+")")
	}
	return ids
}

func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// CircuitBreakerRollback is the deployment circuit breaker tripping with
// rollback on: the PRIMARY deployment FAILED, a new PRIMARY deployment of the
// last completed task definition, the service deployment ROLLBACK_IN_PROGRESS.
func CircuitBreakerRollback() Step {
	return func(f *Fake) {
		f.rollBack("ECS deployment circuit breaker: tasks failed to start.", "Service deployment rolled back because the circuit breaker threshold was exceeded.")
	}
}

// StopRollback is what StopServiceDeployment ROLLBACK starts: a rollback of
// the deployment as the circuit breaker's, for the reason the API gives.
func StopRollback() Step {
	return func(f *Fake) {
		f.rollBack("", "Service deployment rolled back because of a StopServiceDeployment request.")
	}
}

func (f *Fake) rollBack(failure, reason string) {
	ours := f.primary()
	oursID := aws.ToString(ours.Id)
	if failure != "" {
		ours.RolloutState = types.DeploymentRolloutStateFailed
		ours.RolloutStateReason = aws.String(failure)
		f.event("(deployment %s) deployment failed: tasks failed to start.", oursID)
	}
	// The rollback's deployment takes the place of the last one that completed.
	var prev *types.Deployment
	for i := range f.svc.Deployments {
		if d := &f.svc.Deployments[i]; aws.ToString(d.Id) != oursID {
			prev = d
			break
		}
	}
	ours.Status = aws.String("ACTIVE")
	f.seq++
	rbID := fmt.Sprintf("ecs-svc/%d", 4700000000+f.seq)
	prev.Id, prev.Status, prev.RolloutState = aws.String(rbID), aws.String("PRIMARY"), types.DeploymentRolloutStateInProgress
	prev.RolloutStateReason = aws.String("ECS deployment " + rbID + " in progress.")
	f.svc.TaskDefinition = prev.TaskDefinition
	for i := range f.tasks {
		if t := &f.tasks[i]; aws.ToString(t.DesiredStatus) == "RUNNING" && aws.ToString(t.TaskDefinitionArn) == aws.ToString(prev.TaskDefinition) {
			t.StartedBy = prev.Id
		}
	}
	sd := f.sds[f.current]
	now := time.Now()
	sd.Status = types.ServiceDeploymentStatusRollbackInProgress
	if failure != "" {
		sd.StatusReason = aws.String(failure)
		sd.DeploymentCircuitBreaker.Status = types.ServiceDeploymentRollbackMonitorsStatusTriggered
	}
	var to *string
	if len(sd.SourceServiceRevisions) > 0 {
		to = sd.SourceServiceRevisions[0].Arn
	}
	sd.Rollback = &types.Rollback{Reason: aws.String(reason), StartedAt: &now, ServiceRevisionArn: to}
	f.event("rolling back to deployment %s.", rbID)
}

// RollbackComplete ends a rollback: the rollback's deployment alone, COMPLETED
// with every task running, and the service deployment ROLLBACK_SUCCESSFUL.
// To the SDK's ServicesStable waiter this is a steady service, a success.
func RollbackComplete() Step {
	return func(f *Fake) {
		for i := range f.svc.Deployments {
			if d := &f.svc.Deployments[i]; aws.ToString(d.Status) != "PRIMARY" {
				f.stopTasksOf(aws.ToString(d.Id), "Scaling activity initiated by (deployment "+aws.ToString(f.primary().Id)+")", nil)
			}
		}
		d := *f.primary()
		d.RolloutState = types.DeploymentRolloutStateCompleted
		d.RolloutStateReason = aws.String("ECS deployment " + aws.ToString(d.Id) + " completed.")
		d.RunningCount, d.PendingCount = d.DesiredCount, 0
		f.svc.Deployments = []types.Deployment{d}
		sd := f.sds[f.current]
		now := time.Now()
		sd.Status, sd.FinishedAt = types.ServiceDeploymentStatusRollbackSuccessful, &now
		f.event("has reached a steady state.")
	}
}

// Stall is a look at the service that finds nothing new.
func Stall() Step { return func(*Fake) {} }

// Settle is a whole deployment in one look: the PRIMARY deployment's tasks
// launched, healthy, the others drained, COMPLETED. For the parts of a script
// that only need to have happened.
func Settle() Step {
	return func(f *Fake) {
		f.launch(f.primary().DesiredCount)
		f.healthy()
		Drain()(f)
		f.complete()
	}
}

// Lagging answers this DescribeServices with the service as it was before the
// last update: ECS's reads are eventually consistent.
func Lagging() Step { return func(f *Fake) { f.lagging = true } }

// WaitForStop holds the script until a StopServiceDeployment arrives (accepted
// or not), then runs the next step in the same look. A stop that arrives
// before the script reached it first runs the steps before it: ECS moved on
// between the watch's last look and the request, whenever that came.
func WaitForStop() Step { return waitForStop }

func waitForStop(f *Fake) { f.waitForCall("StopServiceDeployment", waitForStop) }

// waitForCall puts self (the step calling it) back at the head of the script
// until the API call has arrived, then runs the next step in the same look.
func (f *Fake) waitForCall(call string, self Step) {
	if f.calls[call] == 0 {
		f.pending = append([]Step{self}, f.pending...)
		return
	}
	if len(f.pending) > 0 {
		next := f.pending[0]
		f.pending = f.pending[1:]
		next(f)
	}
}

// catchUpToStop runs the pending steps before a WaitForStop, if one is pending.
func (f *Fake) catchUpToStop() {
	wait := reflect.ValueOf(waitForStop).Pointer()
	for i, step := range f.pending {
		if reflect.ValueOf(step).Pointer() == wait {
			before := slices.Clone(f.pending[:i])
			f.pending = f.pending[i:]
			for _, step := range before {
				step(f)
			}
			return
		}
	}
}
