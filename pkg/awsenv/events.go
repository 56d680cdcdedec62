package awsenv

import (
	"fmt"
	"strings"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/env"
)

// eventsTo turns the rollout watcher's events into the environment's: the
// deployments and the target health per zone each become one line that a
// terminal redraws in place.
func eventsTo(progress func(env.Event)) func(ecsdeploy.Event) {
	return func(ev ecsdeploy.Event) {
		out := env.Event{Time: ev.Time, Kind: string(ev.Kind), Message: ev.Message, Rollout: ev.Rollout, Verdict: ev.Verdict}
		switch ev.Kind {
		case ecsdeploy.EventDeployments:
			out.Key, out.Message = "deployments", deploymentsLine(ev.Deployments)
		case ecsdeploy.EventTargets:
			out.Key, out.Message = "targets", targetsLine(ev.Targets)
		case ecsdeploy.EventServiceEvent:
			out.Message = "ECS: " + ev.Message
		}
		progress(out)
	}
}

func deploymentsLine(ds []ecsdeploy.Deployment) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		s := fmt.Sprintf("%s rev %d %s running %d/%d", d.Status, d.Revision, strings.ToLower(d.RolloutState), d.Running, d.Desired)
		if d.Pending > 0 {
			s += fmt.Sprintf(", %d pending", d.Pending)
		}
		if d.Failed > 0 {
			s += fmt.Sprintf(", %d failed", d.Failed)
		}
		parts = append(parts, s)
	}
	return "deployments: " + strings.Join(parts, " | ")
}

func targetsLine(azs []ecsdeploy.AZHealth) string {
	if len(azs) == 0 {
		return "targets: none registered"
	}
	parts := make([]string, 0, len(azs))
	for _, a := range azs {
		var c []string
		for _, n := range []struct {
			n    int
			what string
		}{{a.Healthy, "healthy"}, {a.Initial, "initial"}, {a.Draining, "draining"}, {a.Unhealthy, "unhealthy"}, {a.Other, "other"}} {
			if n.n > 0 {
				c = append(c, fmt.Sprintf("%d %s", n.n, n.what))
			}
		}
		parts = append(parts, a.AZ+" "+strings.Join(c, ", "))
	}
	return "targets: " + strings.Join(parts, " | ")
}
