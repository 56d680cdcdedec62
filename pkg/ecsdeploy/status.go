package ecsdeploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/rollout"
)

// ServiceStatus is a service as `status` shows it.
type ServiceStatus struct {
	Cluster        string `json:"cluster"`
	Service        string `json:"service"`
	Status         string `json:"status"`
	Desired        int32  `json:"desired"`
	Running        int32  `json:"running"`
	Pending        int32  `json:"pending"`
	TaskDefinition string `json:"taskDefinition"`
	Revision       int    `json:"revision"`
	Image          string `json:"image"`  // the container's image as the task definition names it
	Digest         string `json:"digest"` // sha256:… when pinned
	Version        string `json:"version,omitempty"`
	// Deployment is the current service deployment; nil where ECS has no
	// service deployments API or does not describe it yet (right after an
	// update): Deployments tell then.
	Deployment *CurrentDeployment `json:"deployment,omitempty"`
	// Progressive is the blue/green, canary or linear deployment under way:
	// its stage, the hook awaiting action, the end of a bake.
	Progressive *rollout.State `json:"progressive,omitempty"`
	Deployments []Deployment   `json:"deployments"`
	Tasks       []Task         `json:"tasks"`
	Targets     []AZHealth     `json:"targets,omitempty"`
	Events      []ServiceEvent `json:"events"` // the newest first
}

// Deploying says whether a rollout is under way: more than one deployment, or
// a service deployment not yet completed (PENDING, or one of the states AWS
// calls ongoing: IN_PROGRESS, STOP_REQUESTED, ROLLBACK_REQUESTED,
// ROLLBACK_IN_PROGRESS; "View service history using Amazon ECS service
// deployments").
func (s ServiceStatus) Deploying() bool {
	if len(s.Deployments) > 1 {
		return true
	}
	if s.Deployment == nil {
		return false
	}
	switch types.ServiceDeploymentStatus(s.Deployment.Status) {
	case types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress, types.ServiceDeploymentStatusStopRequested,
		types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress:
		return true
	}
	return false
}

// CurrentDeployment is the service's current service deployment.
type CurrentDeployment struct {
	ARN    string `json:"arn"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Task is one running task of the service.
type Task struct {
	ID         string    `json:"id"`
	AZ         string    `json:"az"`
	Revision   int       `json:"revision"`
	LastStatus string    `json:"lastStatus"`
	Health     string    `json:"health"`           // the container health check's verdict
	Target     string    `json:"target,omitempty"` // the load balancer's: healthy, initial, draining…
	IP         string    `json:"ip,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
}

// ServiceEvent is one ECS service event.
type ServiceEvent struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// Status describes the service: revision, image, deployments, tasks with
// their zone and health, and its last events (at most events of them).
func Status(ctx context.Context, c Clients, svc Service, events int) (ServiceStatus, error) {
	s, err := describeService(ctx, c, svc)
	if err != nil {
		return ServiceStatus{}, err
	}
	st := ServiceStatus{
		Cluster: svc.Cluster, Service: svc.Name, Status: aws.ToString(s.Status),
		Desired: s.DesiredCount, Running: s.RunningCount, Pending: s.PendingCount,
		TaskDefinition: aws.ToString(s.TaskDefinition), Revision: Revision(aws.ToString(s.TaskDefinition)),
		Deployments: deployments(s),
	}
	td, _, err := describeTaskDefinition(ctx, c, st.TaskDefinition)
	if err != nil {
		return st, err
	}
	if ct := container(td, svc.Container); ct != nil {
		st.Image = aws.ToString(ct.Image)
		if _, d, ok := strings.Cut(st.Image, "@"); ok {
			st.Digest = d
		}
		st.Version = ct.DockerLabels[VersionLabel]
	}
	if arn := aws.ToString(s.CurrentServiceDeployment); arn != "" {
		w := newWatcher(c, svc, WatchOptions{})
		// ECS's reads are eventually consistent: a deployment just created
		// may not be described yet; the watch looks again, a status cannot.
		if sd, err := w.serviceDeployment(ctx, arn); err == nil {
			st.Deployment = &CurrentDeployment{ARN: arn, Status: string(sd.Status), Reason: aws.ToString(sd.StatusReason)}
			if dc := sd.DeploymentConfiguration; dc != nil && strategyOf(dc.Strategy).Progressive() && slices.Contains(running, sd.Status) {
				ps := stateOf(sd, time.Now())
				st.Progressive = &ps
			}
		} else if !unsupported(err) && !errors.Is(err, errNotDescribed) {
			return st, err
		}
	}
	tasks, err := serviceTasks(ctx, c, svc, types.DesiredStatusRunning)
	if err != nil {
		return st, err
	}
	targets, err := targetHealth(ctx, c, svc)
	if err != nil {
		return st, err
	}
	for _, t := range tasks {
		ip := taskIP(t)
		st.Tasks = append(st.Tasks, Task{
			ID: taskID(aws.ToString(t.TaskArn)), AZ: aws.ToString(t.AvailabilityZone),
			Revision: Revision(aws.ToString(t.TaskDefinitionArn)), LastStatus: aws.ToString(t.LastStatus),
			Health: string(t.HealthStatus), Target: targets[ip].state, IP: ip, StartedAt: aws.ToTime(t.StartedAt),
		})
	}
	slices.SortFunc(st.Tasks, func(a, b Task) int { return strings.Compare(a.AZ+a.ID, b.AZ+b.ID) })
	if targets != nil {
		st.Targets = healthByAZ(targets, tasks)
	}
	for _, e := range s.Events[:min(len(s.Events), events)] {
		st.Events = append(st.Events, ServiceEvent{Time: aws.ToTime(e.CreatedAt), Message: aws.ToString(e.Message)})
	}
	return st, nil
}
