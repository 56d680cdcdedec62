package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Deploy updates the service to the task definition taskDefARN and watches
// this deployment to its end. It returns a nil error only when the deployment
// succeeded with the service on taskDefARN; a rollout that rolled back, failed
// or timed out is a *RolloutError (errors.Is ErrRolloutFailed) with the Result;
// a cancelled ctx returns at once with an error wrapping ctx.Err() saying the
// deployment goes on in ECS; anything else is an operational error.
//
// On a timeout it rolls back (StopServiceDeployment ROLLBACK where ECS has it,
// else UpdateService to the previous task definition) unless opts.NoRollback
// or there is nothing to roll back to, and watches the rollback too.
func Deploy(ctx context.Context, c Clients, svc Service, taskDefARN string, opts WatchOptions) (Result, error) {
	start := time.Now()
	w := newWatcher(c, svc, opts)
	s, err := describeService(ctx, c, svc)
	if err != nil {
		return Result{}, err
	}
	from := aws.ToString(s.TaskDefinition)
	res := Result{Service: svc.Name, From: from, To: taskDefARN}
	noRollback := w.preflight(ctx, s, taskDefARN)
	w.markSeen(s)

	if err := w.update(ctx, taskDefARN); err != nil {
		return res, err
	}
	w.info("updated service %s from %s to %s", svc.Name, shortTaskDef(from), shortTaskDef(taskDefARN))
	v, err := w.follow(ctx, taskDefARN, s, "", start.Add(w.opts.Timeout))
	res.Deployment = v.deployment
	res.Duration = time.Since(start)
	if err != nil {
		return res, err
	}
	res.Outcome, res.Reason = v.outcome, v.reason
	switch v.outcome {
	case Completed:
		res.Reason = "" // "deployment completed" says nothing the outcome does not
		w.markServed(ctx, taskDefARN)
		return res, nil
	case RolledBack:
		res.RolledBackTo = Revision(v.serving)
	case TimedOut:
		if noRollback == "" && w.opts.NoRollback {
			noRollback = "rollback disabled; the deployment goes on in ECS"
		}
		if noRollback == "" && from == taskDefARN {
			noRollback = "the service ran " + shortTaskDef(from) + " already"
		}
		if noRollback != "" {
			res.Rollback = &RollbackInfo{Method: "none", Reason: noRollback}
			break
		}
		rb, err := w.rollbackAfterTimeout(ctx, v, from, taskDefARN)
		res.Rollback = rb
		res.Duration = time.Since(start)
		if err != nil {
			return res, err
		}
		if rb.Outcome == Completed && rb.Method == "" { // it finished as the rollback was asked for
			res.Outcome, res.Rollback = Completed, nil
			w.markServed(ctx, taskDefARN)
			return res, nil
		}
	}
	res.StoppedTasks = w.stopped(ctx, taskDefARN)
	return res, &RolloutError{Result: res}
}

// ServedTag marks a task definition revision whose deployment succeeded (its
// value is when): a rollback returns to the newest such revision, never to
// one the circuit breaker rejected.
const ServedTag = "empctl:served"

// markServed tags the revision that now serves. Register needs
// ecs:TagResource already (tag-on-create); if the tag fails all the same, the
// rollout still succeeded: say so and go on.
func (w *watcher) markServed(ctx context.Context, taskDefARN string) {
	_, err := w.c.ECS.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(taskDefARN),
		Tags: []types.Tag{{Key: aws.String(ServedTag), Value: aws.String(time.Now().UTC().Format(time.RFC3339))}}})
	if err != nil {
		w.info("could not tag %s as served (%v): a later rollback will not know it served", shortTaskDef(taskDefARN), err)
	}
}

// Rollback puts the service back on an earlier revision of its family: the
// given one, or with toRevision 0 the newest revision below the running one
// that a deploy registered (it carries VersionLabel; Terraform's own revisions
// hold a placeholder image). It is watched like Deploy. With toRevision 0
// during a blue/green, canary or linear deployment (a bake, a paused hook) it
// rolls that deployment back instead: the old revision still runs and takes
// all traffic at once.
func Rollback(ctx context.Context, c Clients, svc Service, toRevision int, opts WatchOptions) (Result, error) {
	return RollbackWith(ctx, c, svc, toRevision, opts, nil)
}

// RollbackWith is Rollback; with p, the earlier revision is rolled out with
// p's blue/green, canary or linear strategy and gate, like a deploy.
func RollbackWith(ctx context.Context, c Clients, svc Service, toRevision int, opts WatchOptions, p *ProgressiveOptions) (Result, error) {
	s, err := describeService(ctx, c, svc)
	if err != nil {
		return Result{}, err
	}
	if sd := inFlight(ctx, newWatcher(c, svc, opts), s); sd != nil && toRevision == 0 {
		return rollBackInFlight(ctx, newWatcher(c, svc, opts), s, sd)
	}
	current := aws.ToString(s.TaskDefinition)
	var target string
	if toRevision > 0 {
		name := fmt.Sprintf("%s:%d", svc.Family, toRevision)
		td, _, err := describeTaskDefinition(ctx, c, name)
		var nf *NotFoundError
		if errors.As(err, &nf) && deregistered(ctx, c, svc, name) || err == nil && td.Status == types.TaskDefinitionStatusInactive {
			return Result{}, fmt.Errorf("revision %s was deregistered (INACTIVE): ECS does not start tasks of it any more. "+
				"Roll back to an ACTIVE revision (`aws ecs list-task-definitions --family-prefix %s`), or deploy that version again from its commit", name, svc.Family)
		}
		if err != nil {
			return Result{}, err
		}
		if container(td, svc.Container) == nil {
			return Result{}, &NotFoundError{What: "container", Name: svc.Container, Hint: "revision " + shortTaskDef(aws.ToString(td.TaskDefinitionArn)) + " has no such container"}
		}
		target = aws.ToString(td.TaskDefinitionArn)
	} else if target, err = previousRevision(ctx, c, svc, current); err != nil {
		return Result{}, err
	}
	if target == current {
		return Result{}, fmt.Errorf("service %s already runs %s: nothing to roll back", svc.Name, shortTaskDef(current))
	}
	if opts.Progress != nil {
		opts.Progress(Event{Time: time.Now(), Kind: EventInfo, Message: fmt.Sprintf("rolling back %s from %s to %s", svc.Name, shortTaskDef(current), shortTaskDef(target))})
	}
	if p != nil {
		return DeployProgressive(ctx, c, svc, target, *p, opts)
	}
	return Deploy(ctx, c, svc, target, opts)
}

// deregistered says whether ECS lists name (family:revision) among the
// family's INACTIVE revisions, which it describes only while something still
// uses them (DescribeTaskDefinition, ECS API reference).
func deregistered(ctx context.Context, c Clients, svc Service, name string) bool {
	p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(svc.Family), Status: types.TaskDefinitionStatusInactive, Sort: types.SortOrderDesc,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false
		}
		for _, arn := range page.TaskDefinitionArns {
			if shortTaskDef(arn) == name {
				return true
			}
		}
	}
	return false
}

func (w *watcher) update(ctx context.Context, taskDefARN string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cancelled before updating service %s: nothing changed: %w", w.svc.Name, err)
	}
	_, err := w.c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:        aws.String(w.svc.Cluster),
		Service:        aws.String(w.svc.Name),
		TaskDefinition: aws.String(taskDefARN),
		// A new deployment even when the task definition is the running one,
		// so that there is always one deployment to follow.
		ForceNewDeployment: true,
		DesiredCount:       w.svc.DesiredCount,
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("cancelled while updating service %s to %s; the update may have reached ECS (see status): %w", w.svc.Name, shortTaskDef(taskDefARN), ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("updating service %s to %s: %w", w.svc.Name, shortTaskDef(taskDefARN), err)
	}
	return nil
}

// preflight says what the service looks like before the update. A service
// whose deployment failed with no task running (the first deploy after
// provision: Terraform started it on a placeholder image, the circuit breaker
// stopped launching tasks) has nothing to roll back to; it returns why then.
func (w *watcher) preflight(ctx context.Context, s *types.Service, target string) string {
	p := primary(s)
	if p == nil || p.RolloutState != types.DeploymentRolloutStateFailed || s.RunningCount > 0 {
		return ""
	}
	never := w.neverSucceeded(ctx, s)
	found := fmt.Sprintf("service %s runs no task: its deployment %s of %s failed", w.svc.Name, aws.ToString(p.Id), shortTaskDef(aws.ToString(p.TaskDefinition)))
	if r := aws.ToString(p.RolloutStateReason); r != "" {
		found += " (" + r + ")"
	}
	if never {
		found = "the service has never had a successful deployment; " + found
	}
	w.info("%s. This is what a service looks like after provision, on its placeholder image: deploying %s starts its %d tasks; there is nothing to roll back to if it fails", found, shortTaskDef(target), s.DesiredCount)
	return "nothing to roll back to: " + shortTaskDef(aws.ToString(p.TaskDefinition)) + " never ran"
}

// neverSucceeded asks the service deployments API, where ECS has it, whether
// any deployment of the service succeeded. ECS lists "the most recent 90-day
// history for deployments created on or after October 25, 2024" ("Viewing
// Amazon ECS service deployments"): an empty list says never only for a
// service created within that window.
func (w *watcher) neverSucceeded(ctx context.Context, s *types.Service) bool {
	if s.CurrentServiceDeployment == nil || s.CreatedAt == nil || s.CreatedAt.Before(historyStart(time.Now())) {
		return false
	}
	out, err := w.c.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(w.svc.Cluster), Service: aws.String(w.svc.Name),
		Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusSuccessful},
	})
	return err == nil && len(out.ServiceDeployments) == 0
}

// rollbackAfterTimeout stops the timed-out deployment with a rollback, or,
// where ECS cannot, deploys the previous task definition, and watches that.
// A RollbackInfo with Outcome Completed and no Method means the deployment
// finished by itself before the rollback took effect.
func (w *watcher) rollbackAfterTimeout(ctx context.Context, v verdict, from, to string) (*RollbackInfo, error) {
	rb := &RollbackInfo{To: Revision(from)}
	w.info("no verdict after %s; rolling back to %s", w.opts.Timeout, shortTaskDef(from))
	deadline := time.Now().Add(w.opts.Timeout)
	if v.arn != "" {
		_, err := w.c.ECS.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{
			ServiceDeploymentArn: aws.String(v.arn), StopType: types.StopServiceDeploymentStopTypeRollback,
		})
		rb.Method = "stop-service-deployment"
		if ctx.Err() == nil {
			// The deployment may have moved on between the last look and the
			// request. ECS accepts a stop of a deployment rolling back already
			// and carries on ("Stopping Amazon ECS service deployments"): a
			// rollback the circuit breaker (or an alarm) started is ECS's, not
			// ours. It refuses a stop of one that ended: follow that instead.
			if sd, e := w.serviceDeployment(ctx, v.arn); e == nil {
				if by := ownRollback(sd); by != "" {
					w.info("%s was rolling back the deployment already (%s); following it", by, sd.Status)
					rb.Method, rb.Reason, err = "none", by+" was rolling back already", nil
				} else if err != nil && !slices.Contains(running, sd.Status) {
					w.info("ECS refused the stop (%v): the deployment is %s already; following it", err, sd.Status)
					rb.Method, rb.Reason, err = "none", "the deployment was "+string(sd.Status)+" already", nil
				}
			}
		}
		if err == nil {
			rv, err := w.follow(ctx, to, nil, v.arn, deadline)
			if err != nil {
				return rb, err
			}
			switch rv.outcome {
			case RolledBack:
				rb.Outcome, rb.To = Completed, Revision(rv.serving)
			case Completed:
				return &RollbackInfo{Outcome: Completed}, nil
			default:
				rb.Outcome, rb.Reason = rv.outcome, joinReasons(rb.Reason, rv.reason)
			}
			return rb, nil
		}
		if ctx.Err() != nil {
			return rb, detached(ctx, w.svc, v.arn)
		}
		w.info("StopServiceDeployment refused (%v); deploying %s instead", err, shortTaskDef(from))
	}
	rb.Method = "update-service"
	s, err := describeService(ctx, w.c, w.svc)
	if err != nil {
		return rb, w.fail(ctx, err, "", "")
	}
	w.lastFailed = 0
	if err := w.update(ctx, from); err != nil {
		return rb, err
	}
	rv, err := w.follow(ctx, from, s, "", deadline)
	if err != nil {
		return rb, err
	}
	rb.Outcome, rb.Reason = rv.outcome, rv.reason
	return rb, nil
}

// ownRollback names what rolled a deployment back by itself (its circuit
// breaker or alarms TRIGGERED while it rolls back), "" when nothing did.
func ownRollback(sd *types.ServiceDeployment) string {
	switch sd.Status {
	case types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress,
		types.ServiceDeploymentStatusRollbackSuccessful, types.ServiceDeploymentStatusRollbackFailed:
	default:
		return ""
	}
	switch {
	case sd.DeploymentCircuitBreaker != nil && sd.DeploymentCircuitBreaker.Status == types.ServiceDeploymentRollbackMonitorsStatusTriggered:
		return "the deployment circuit breaker"
	case sd.Alarms != nil && sd.Alarms.Status == types.ServiceDeploymentRollbackMonitorsStatusTriggered:
		return "a CloudWatch alarm"
	}
	return ""
}

// historyStart is the oldest time from which ListServiceDeployments surely
// lists every deployment (a day's margin on the 90 days).
func historyStart(now time.Time) time.Time {
	begins := time.Date(2024, 10, 25, 0, 0, 0, 0, time.UTC)
	if t := now.AddDate(0, 0, -89); t.After(begins) {
		return t
	}
	return begins
}

// running are the statuses of a service deployment that has not ended nor
// begun to roll back.
var running = []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress}

// stopped is the stopped tasks of taskDef for a failed rollout's result; a
// failure to list them is reported, not fatal.
func (w *watcher) stopped(ctx context.Context, taskDef string) []StoppedTask {
	tasks, err := stoppedTasks(ctx, w.c, w.svc, taskDef)
	if err != nil {
		w.info("could not list the stopped tasks: %v", err)
	}
	const keep = 5 // the newest; the rest say the same
	return tasks[:min(len(tasks), keep)]
}
