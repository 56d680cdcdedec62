package awsenv

import (
	"context"
	"fmt"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/env"
)

// lastEvents is how many service events status shows.
const lastEvents = 8

// Status describes the ECS service: revision, image, deployments, each task
// with its zone and health, and the latest service events; and the live
// webapp release, from its manifest in the bucket.
func (e *Env) Status(ctx context.Context) (env.Status, error) {
	c, err := e.ecsClients(ctx)
	if err != nil {
		return env.Status{}, err
	}
	s, err := ecsdeploy.Status(ctx, c, e.service(), lastEvents)
	if err != nil {
		return env.Status{}, e.explain(err)
	}
	st := env.Status{
		Env: e.Name(), Endpoint: e.Outputs.AppURL(), Version: s.Version, Service: s.Service,
		Revision: shortARN(s.TaskDefinition), Image: s.Image, Desired: int(s.Desired), Targets: []env.Target{},
		Deploying: len(s.Deployments) > 1 || (s.Deployment != nil && s.Deployment.Status == "IN_PROGRESS"),
	}
	for _, d := range s.Deployments {
		st.Deployments = append(st.Deployments, env.Deployment{ID: d.ID, Status: d.Status, Rollout: d.RolloutState,
			Revision: shortARN(d.TaskDefinition), Desired: int(d.Desired), Pending: int(d.Pending), Running: int(d.Running), Failed: int(d.Failed)})
	}
	for _, t := range s.Tasks {
		version := fmt.Sprintf("revision %d", t.Revision)
		if t.Revision == s.Revision && s.Version != "" {
			version = s.Version
		}
		health := t.Target
		if health == "" {
			health = t.Health
		}
		st.Targets = append(st.Targets, env.Target{ID: t.ID, Version: version, Revision: fmt.Sprintf("%s:%d", e.Outputs.TaskFamily, t.Revision),
			Zone: t.AZ, Addr: t.IP, State: t.LastStatus, Health: health, Started: t.StartedAt})
	}
	for _, ev := range s.Events {
		st.Events = append(st.Events, env.Event{Time: ev.Time, Kind: "service-event", Message: ev.Message})
	}
	if st.Frontend, err = e.LiveFrontend(ctx); err != nil {
		return st, fmt.Errorf("reading the live webapp release: %w", err)
	}
	return st, nil
}
