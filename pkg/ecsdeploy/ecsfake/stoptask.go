package ecsfake

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// stopTask is StopTask as the ECS API reference describes it: the task's
// desired status becomes STOPPED, with stop code UserInitiated and the
// request's reason as its stopped reason ("Task stopped by user" without
// one), and it leaves the service's running count. The fake stops it at once
// (ECS's DEACTIVATING and STOPPING states last as long as the container's
// stop timeout). The service scheduler then starts a replacement in the
// stopped task's deployment, which passes its health checks at the service's
// next look.
func (f *Fake) stopTask(body []byte) (smithy.Serializable, error) {
	var in ecs.StopTaskInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, apiError("SerializationException", "%v", err)
	}
	id := aws.ToString(in.Task)
	i := slices.IndexFunc(f.tasks, func(t types.Task) bool { return aws.ToString(t.TaskArn) == id || taskID(aws.ToString(t.TaskArn)) == id })
	if i < 0 {
		return nil, apiError("InvalidParameterException", "The referenced task was not found.")
	}
	t := &f.tasks[i]
	if aws.ToString(t.DesiredStatus) == "STOPPED" {
		return &ecs.StopTaskOutput{Task: t}, nil // already stopped: ECS answers with the task
	}
	running := aws.ToString(t.LastStatus) == "RUNNING"
	now := time.Now()
	t.DesiredStatus, t.LastStatus, t.StopCode, t.StoppedAt, t.StoppingAt = aws.String("STOPPED"), aws.String("STOPPED"), types.TaskStopCodeUserInitiated, &now, &now
	t.StoppedReason = aws.String("Task stopped by user")
	if r := aws.ToString(in.Reason); r != "" {
		t.StoppedReason = aws.String(r)
	}
	// The server drains on SIGTERM and exits 0 within its stop timeout.
	t.Containers = []types.Container{{Name: aws.String("api"), ExitCode: aws.Int32(0), LastStatus: aws.String("STOPPED")}}
	out := &ecs.StopTaskOutput{Task: t}
	for j := range f.svc.Deployments {
		d := &f.svc.Deployments[j]
		if aws.ToString(d.Id) != aws.ToString(t.StartedBy) {
			continue
		}
		if running {
			d.RunningCount = max(d.RunningCount-1, 0)
		} else {
			d.PendingCount = max(d.PendingCount-1, 0)
		}
		f.launchOf(d, 1)
		f.replacing = append(f.replacing, aws.ToString(f.tasks[len(f.tasks)-1].TaskArn))
	}
	return out, nil
}

// replaced turns the replacements of stopped tasks running and healthy, as
// the service's next look finds them.
func (f *Fake) replaced() {
	for _, arn := range f.replacing {
		i := slices.IndexFunc(f.tasks, func(t types.Task) bool { return aws.ToString(t.TaskArn) == arn })
		t := &f.tasks[i]
		if aws.ToString(t.LastStatus) != "PROVISIONING" || aws.ToString(t.DesiredStatus) != "RUNNING" {
			continue // a step stopped it or turned it healthy already
		}
		now := time.Now()
		t.LastStatus, t.HealthStatus, t.StartedAt = aws.String("RUNNING"), types.HealthStatusHealthy, &now
		for j := range f.svc.Deployments {
			if d := &f.svc.Deployments[j]; aws.ToString(d.Id) == aws.ToString(t.StartedBy) {
				d.PendingCount = max(d.PendingCount-1, 0)
				d.RunningCount++
			}
		}
		f.event("registered 1 targets in (target-group %selasticloadbalancing:%s:%s:targetgroup/empctl-api/0123456789abcdef)", "arn:aws:", Region, Account)
	}
	f.replacing = nil
}

// StoppedByUser is the tasks StopTask stopped, in the order they started.
func (f *Fake) StoppedByUser() []types.Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []types.Task
	for _, t := range f.tasks {
		if t.StopCode == types.TaskStopCodeUserInitiated {
			out = append(out, t)
		}
	}
	return out
}

// WaitForTaskStop holds the script until a StopTask has arrived, then runs
// the next step in the same look: a rollout that goes on only once a test
// killed one of its tasks, however slow the test's machine.
func WaitForTaskStop() Step { return waitForTaskStop }

func waitForTaskStop(f *Fake) { f.waitForCall("StopTask", waitForTaskStop) }
