package ecsdeploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// report emits the service's new events, and the deployments and target health
// when they changed.
func (w *watcher) report(ctx context.Context, s *types.Service, sd *types.ServiceDeployment, id string) {
	for _, e := range slices.Backward(s.Events) { // newest first: oldest news first
		if key := aws.ToString(e.Id); !w.seenEvents[key] {
			w.seenEvents[key] = true
			w.emit(Event{Kind: EventServiceEvent, Message: aws.ToString(e.Message), Time: aws.ToTime(e.CreatedAt)})
		}
	}
	ev := Event{Kind: EventDeployments, Deployments: deployments(s)}
	if sd != nil {
		ev.Deployment = string(sd.Status)
		if cb := sd.DeploymentCircuitBreaker; cb != nil && cb.FailureCount > 0 {
			ev.Deployment += fmt.Sprintf(" (circuit breaker: %d of %d failed tasks)", cb.FailureCount, cb.Threshold)
		}
	}
	if fp := fmt.Sprint(ev.Deployment, ev.Deployments); fp != w.lastState {
		w.lastState = fp
		w.emit(ev)
	}
	w.reportStopped(ctx, s, id)
	w.reportTargets(ctx)
}

// reportStopped names the tasks of this deployment that stopped since the last
// look, with their reasons, when its failed count grew.
func (w *watcher) reportStopped(ctx context.Context, s *types.Service, id string) {
	d := find(s, id)
	if d == nil || d.FailedTasks <= w.lastFailed {
		return
	}
	w.lastFailed = d.FailedTasks
	stopped, err := stoppedTasks(ctx, w.c, w.svc, aws.ToString(d.TaskDefinition))
	if err != nil {
		w.info("could not list the stopped tasks: %v", err)
		return
	}
	for _, t := range slices.Backward(stopped) {
		if !w.seenTasks[t.ID] {
			w.seenTasks[t.ID] = true
			w.info("%s", t)
		}
	}
}

func (w *watcher) reportTargets(ctx context.Context) {
	targets, err := targetHealth(ctx, w.c, w.svc)
	if err != nil {
		w.info("target health unavailable: %v", err)
		return
	}
	if targets == nil {
		return
	}
	tasks, err := serviceTasks(ctx, w.c, w.svc, types.DesiredStatusRunning)
	if err != nil {
		w.info("tasks unavailable: %v", err)
	}
	h := healthByAZ(targets, tasks)
	if fp := fmt.Sprint(h); fp != w.lastTargets {
		w.lastTargets = fp
		w.emit(Event{Kind: EventTargets, Targets: h})
	}
}
