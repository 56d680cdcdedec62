package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
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

// unseenPolls is how many looks at the service find no new deployment before
// the progress says so (moto, for one, never starts one).
const unseenPolls = 6

// verdict is how one followed deployment ended.
type verdict struct {
	outcome    Outcome
	deployment string // the service deployment ARN, or the ecs-svc/… id
	arn        string // the service deployment ARN, when ECS has that API
	reason     string
	serving    string // the task definition the service runs at the end
}

// follow polls the service until the deployment to target ends or deadline
// passes. before is the service as it was before the update: its
// currentServiceDeployment and deployments are not this one, even when a
// deployment of the same task definition was (a forced redeploy). known is the
// service deployment ARN when it is already known (watching a rollback of it).
func (w *watcher) follow(ctx context.Context, target string, before *types.Service, known string, deadline time.Time) (verdict, error) {
	arn, id := known, ""
	api := true // until ECS says it has no service deployments API
	var ourReason string
	old := map[string]bool{}
	if before != nil {
		old[aws.ToString(before.CurrentServiceDeployment)] = true
		for _, d := range before.Deployments {
			old[aws.ToString(d.Id)] = true
		}
	}
	missing := 0 // consecutive looks at which ECS did not describe arn
	for polls := 1; ; polls++ {
		s, err := describeService(ctx, w.c, w.svc)
		if err != nil && !w.transient(ctx, err) {
			return verdict{}, w.fail(ctx, err, arn, id)
		}
		if err == nil {
			if arn == "" {
				if cur := aws.ToString(s.CurrentServiceDeployment); cur != "" && !old[cur] {
					arn = cur
					w.info("following service deployment %s", arn)
				}
			}
			if id == "" {
				if p := primary(s); p != nil && aws.ToString(p.TaskDefinition) == target && !old[aws.ToString(p.Id)] {
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
				case errors.Is(err, errNotDescribed):
					// ECS's reads are eventually consistent: a deployment
					// just created may not be described for a moment.
					if missing++; missing > missingPolls {
						return verdict{}, fmt.Errorf("%w, %d looks in a row; the watch stops here, but the deployment may go on in ECS (see it with status)", err, missing)
					}
					w.info("%v; looking again at the next poll (%d of %d)", err, missing, missingPolls)
				case err != nil && !w.transient(ctx, err):
					return verdict{}, w.fail(ctx, err, arn, id)
				}
				if err == nil {
					missing = 0
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
			if polls == unseenPolls && arn == "" && id == "" {
				w.info("after %d looks the service shows no new deployment of %s yet; watching on until %s", polls, shortTaskDef(target), deadline.Format(time.TimeOnly))
			}
		}
		if time.Now().After(deadline) {
			v := verdict{outcome: TimedOut, deployment: firstNonEmpty(arn, id), serving: target}
			if api { // else StopServiceDeployment is missing too: roll back with UpdateService
				v.arn = arn
			}
			return v, nil
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
// (moto, or an older API), or that the feature is not offered there
// (UnsupportedFeatureException: ECS's answer in a Region without it).
func unsupported(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "UnknownOperationException", "InvalidAction", "NotImplemented", "UnsupportedOperation", "UnsupportedFeatureException":
		return true
	}
	return false
}

// errNotDescribed is DescribeServiceDeployments answering without the
// deployment asked for (a failure with reason MISSING, or nothing).
var errNotDescribed = errors.New("ECS does not describe the service deployment")

// missingPolls is how many consecutive looks may find a service deployment
// not described before the watch gives up on it.
const missingPolls = 6

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
	return nil, fmt.Errorf("describing service deployment %s: %w (%s)", arn, errNotDescribed, reason)
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

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
