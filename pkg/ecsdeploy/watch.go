package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// WatchOptions control how a rollout is watched.
type WatchOptions struct {
	PollInterval time.Duration // between two looks at the service; default 5 s
	Timeout      time.Duration // for the deployment, and again for a rollback; default 20 min
	NoRollback   bool          // on a timeout, leave the deployment running in ECS
	Progress     func(Event)   // called from the watching goroutine; may be nil
}

func (o WatchOptions) withDefaults() WatchOptions {
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Minute
	}
	return o
}

// watcher follows deployments of one service and reports what it sees once.
type watcher struct {
	c    Clients
	svc  Service
	opts WatchOptions

	seenEvents  map[string]bool
	seenTasks   map[string]bool
	lastState   string // fingerprint of the last deployments event
	lastTargets string
	lastFailed  int32
}

func newWatcher(c Clients, svc Service, opts WatchOptions) *watcher {
	return &watcher{c: c, svc: svc, opts: opts.withDefaults(), seenEvents: map[string]bool{}, seenTasks: map[string]bool{}}
}

func (w *watcher) emit(e Event) {
	if w.opts.Progress != nil {
		e.Time = time.Now()
		w.opts.Progress(e)
	}
}

func (w *watcher) info(format string, args ...any) {
	w.emit(Event{Kind: EventInfo, Message: fmt.Sprintf(format, args...)})
}

// markSeen takes the service's events so far as known: only new ones are news.
func (w *watcher) markSeen(s *types.Service) {
	for _, e := range s.Events {
		w.seenEvents[aws.ToString(e.Id)] = true
	}
}

// verdict is how one followed deployment ended.
type verdict struct {
	outcome    Outcome
	deployment string // the service deployment ARN, or the ecs-svc/… id
	arn        string // the service deployment ARN, when ECS has that API
	reason     string
	serving    string // the task definition the service runs at the end
}

// follow polls the service until the deployment to target ends or deadline
// passes. before is the service's currentServiceDeployment before the update
// (the new one is any other); known is the service deployment ARN when it is
// already known (watching a rollback of it).
func (w *watcher) follow(ctx context.Context, target, before, known string, deadline time.Time) (verdict, error) {
	arn, id := known, ""
	api := true // until ECS says it has no service deployments API
	var ourReason string
	for {
		s, err := describeService(ctx, w.c, w.svc)
		if err != nil && !w.transient(ctx, err) {
			return verdict{}, w.fail(ctx, err, arn, id)
		}
		if err == nil {
			if arn == "" {
				if cur := aws.ToString(s.CurrentServiceDeployment); cur != "" && cur != before {
					arn = cur
					w.info("following service deployment %s", arn)
				}
			}
			if id == "" {
				if p := primary(s); p != nil && aws.ToString(p.TaskDefinition) == target {
					id = aws.ToString(p.Id)
					if arn == "" {
						w.info("following deployment %s (the PRIMARY one, on %s)", id, shortTaskDef(target))
					}
				}
			}
			var sd *types.ServiceDeployment
			if arn != "" && api {
				sd, err = w.serviceDeployment(ctx, arn)
				switch {
				case unsupported(err):
					api, sd = false, nil
					w.info("ECS has no service deployments API here (%v); judging by the service's deployments", err)
				case err != nil && !w.transient(ctx, err):
					return verdict{}, w.fail(ctx, err, arn, id)
				}
			}
			w.report(ctx, s, sd, id)
			if d := find(s, id); d != nil && aws.ToString(d.RolloutStateReason) != "" {
				ourReason = aws.ToString(d.RolloutStateReason)
			}
			var v verdict
			var done bool
			if sd != nil {
				v, done = apiVerdict(sd, s, target)
			} else if id != "" && (arn == "" || !api) {
				v, done = fallbackVerdict(s, id, target, ourReason)
			}
			if done {
				return v, nil
			}
		}
		if time.Now().After(deadline) {
			return verdict{outcome: TimedOut, deployment: firstNonEmpty(arn, id), arn: arn, serving: target}, nil
		}
		select {
		case <-ctx.Done():
			return verdict{}, detached(ctx, w.svc, firstNonEmpty(arn, id))
		case <-time.After(w.opts.PollInterval):
		}
	}
}

func (w *watcher) fail(ctx context.Context, err error, arn, id string) error {
	if ctx.Err() != nil {
		return detached(ctx, w.svc, firstNonEmpty(arn, id))
	}
	return err
}

// transient says whether a failed look at the service is worth another at the
// next poll: the SDK's retryer already retried it (throttling, 5xx, a dropped
// connection) and gave up, but the rollout goes on regardless. It says so in
// the progress.
func (w *watcher) transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
		var qe ratelimit.QuotaExceededError // the client's retry budget is spent: also temporary
		if !errors.As(err, &qe) {
			return false
		}
	}
	w.info("ECS did not answer (%v); looking again at the next poll", err)
	return true
}

// unsupported is an error saying the endpoint does not know the operation
// (moto, or an older API).
func unsupported(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "UnknownOperationException", "InvalidAction", "NotImplemented", "UnsupportedOperation":
		return true
	}
	return false
}

func (w *watcher) serviceDeployment(ctx context.Context, arn string) (*types.ServiceDeployment, error) {
	out, err := w.c.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("describing service deployment %s: %w", arn, err)
	}
	for i := range out.ServiceDeployments {
		if aws.ToString(out.ServiceDeployments[i].ServiceDeploymentArn) == arn {
			return &out.ServiceDeployments[i], nil
		}
	}
	reason := "not returned"
	if len(out.Failures) > 0 {
		reason = aws.ToString(out.Failures[0].Reason)
	}
	return nil, fmt.Errorf("describing service deployment %s: %s", arn, reason)
}

// apiVerdict judges by the service deployment's status. The service alone
// cannot tell a success from a rollback (both end as one deployment with
// running = desired); the status can, and a SUCCESSFUL status with the service
// on another task definition is not believed either.
func apiVerdict(sd *types.ServiceDeployment, s *types.Service, target string) (verdict, bool) {
	v := verdict{deployment: aws.ToString(sd.ServiceDeploymentArn), arn: aws.ToString(sd.ServiceDeploymentArn), serving: aws.ToString(s.TaskDefinition)}
	reasons := []string{aws.ToString(sd.StatusReason)}
	if sd.Rollback != nil {
		reasons = append(reasons, aws.ToString(sd.Rollback.Reason))
	}
	v.reason = joinReasons(reasons...)
	switch sd.Status {
	case types.ServiceDeploymentStatusSuccessful:
		if v.serving == target {
			v.outcome = Completed
			return v, true
		}
		v.outcome = RolledBack
		v.reason = joinReasons(v.reason, "the deployment says SUCCESSFUL but the service runs "+shortTaskDef(v.serving))
	case types.ServiceDeploymentStatusRollbackSuccessful:
		v.outcome = RolledBack
	case types.ServiceDeploymentStatusRollbackFailed:
		v.outcome = Failed
		v.reason = joinReasons("the rollback failed too", v.reason)
	case types.ServiceDeploymentStatusStopped:
		v.outcome = Failed
		v.reason = joinReasons("the deployment was stopped", v.reason)
	default:
		return v, false
	}
	return v, true
}

// fallbackVerdict judges by the service's deployments when ECS has no service
// deployments API: this deployment (id) succeeded when it is the only one left,
// PRIMARY and COMPLETED; when another deployment became PRIMARY on another task
// definition, the circuit breaker (or someone) rolled back.
func fallbackVerdict(s *types.Service, id, target, ourReason string) (verdict, bool) {
	p := primary(s)
	if p == nil {
		return verdict{}, false
	}
	v := verdict{deployment: id, serving: aws.ToString(p.TaskDefinition), reason: ourReason}
	if aws.ToString(p.Id) == id {
		switch {
		case p.RolloutState == types.DeploymentRolloutStateCompleted && len(s.Deployments) == 1:
			v.outcome = Completed
			return v, true
		case p.RolloutState == types.DeploymentRolloutStateFailed:
			v.outcome = Failed
			v.reason = joinReasons(aws.ToString(p.RolloutStateReason), ourReason)
			return v, true
		}
		return v, false
	}
	if v.serving != target {
		v.outcome = RolledBack
		return v, true
	}
	v.outcome = Failed
	v.reason = joinReasons("deployment "+aws.ToString(p.Id)+" of the same task definition replaced it", ourReason)
	return v, true
}

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

// find is the service's deployment with id, nil when gone.
func find(s *types.Service, id string) *types.Deployment {
	for i := range s.Deployments {
		if id != "" && aws.ToString(s.Deployments[i].Id) == id {
			return &s.Deployments[i]
		}
	}
	return nil
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
