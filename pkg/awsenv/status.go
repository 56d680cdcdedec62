package awsenv

import (
	"context"
	"fmt"
	"time"

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
	versions := e.revisionVersions(ctx, c, s)
	st := env.Status{
		Env: e.Name(), Endpoint: e.Outputs.AppURL(), Version: s.Version, Service: s.Service,
		Revision: shortARN(s.TaskDefinition), Image: s.Image, Desired: int(s.Desired), Targets: []env.Target{},
		Deploying: s.Deploying(), Progressive: s.Progressive,
	}
	// As on the local stack, Version is what serves until a rollout
	// completes: during one, the version of the deployment being replaced.
	for _, d := range s.Deployments {
		if d.Status == "ACTIVE" && st.Deploying && versions[d.Revision] != "" {
			st.Version = versions[d.Revision]
		}
	}
	for _, d := range s.Deployments {
		st.Deployments = append(st.Deployments, env.Deployment{ID: d.ID, Status: d.Status, Rollout: d.RolloutState,
			Revision: shortARN(d.TaskDefinition), Desired: int(d.Desired), Pending: int(d.Pending), Running: int(d.Running), Failed: int(d.Failed)})
	}
	for _, t := range s.Tasks {
		version := versions[t.Revision]
		if version == "" {
			version = fmt.Sprintf("revision %d", t.Revision)
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
	e.addRevisions(ctx, c, &st)
	// The webapp is another service's data: a bucket that cannot be read must
	// not block a backend deploy or a verification, which read the status too.
	if st.Frontend, st.FrontendReleases, err = e.LiveFrontend(ctx); err != nil {
		st.Events = append([]env.Event{{Time: time.Now(), Kind: "warning",
			Message: fmt.Sprintf("could not read the live webapp release from s3://%s: %v%s", e.Outputs.WebappBucket, err, accessHint(err, "s3:GetObject and s3:ListBucket"))}}, st.Events...)
	}
	return st, nil
}

// revisionVersions maps the revisions of the service's deployments to the
// versions a deploy labelled them with (Terraform's own revisions have none).
func (e *Env) revisionVersions(ctx context.Context, c ecsdeploy.Clients, s ecsdeploy.ServiceStatus) map[int]string {
	versions := map[int]string{s.Revision: s.Version}
	for _, d := range s.Deployments {
		if _, ok := versions[d.Revision]; ok {
			continue
		}
		versions[d.Revision] = e.label(ctx, c, d.TaskDefinition)
	}
	return versions
}
