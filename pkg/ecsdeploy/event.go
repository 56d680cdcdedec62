package ecsdeploy

import (
	"time"

	"github.com/empctl/empctl/pkg/rollout"
)

// EventKind says what an Event carries.
type EventKind string

// The kinds of progress events.
const (
	EventInfo         EventKind = "info"          // what the rollout found or did, in Message
	EventServiceEvent EventKind = "service-event" // an ECS service event, each once, in Message
	EventDeployments  EventKind = "deployments"   // the deployments changed
	EventTargets      EventKind = "targets"       // target health per AZ changed
)

// Event is one piece of progress. A terminal redraws Deployments and Targets
// in place and prints messages as lines; a log prints every event.
type Event struct {
	Time        time.Time    `json:"time"`
	Kind        EventKind    `json:"kind"`
	Message     string       `json:"message,omitempty"`
	Deployment  string       `json:"deployment,omitempty"` // this rollout's service deployment status, when known
	Deployments []Deployment `json:"deployments,omitempty"`
	Targets     []AZHealth   `json:"targets,omitempty"`
	// Rollout is a progressive rollout's position; Verdict the gate's
	// decision on the event that reports one.
	Rollout *rollout.State   `json:"rollout,omitempty"`
	Verdict *rollout.Verdict `json:"verdict,omitempty"`
}

// Deployment is one entry of the service's deployments.
type Deployment struct {
	ID                 string `json:"id"`
	Status             string `json:"status"` // PRIMARY, ACTIVE, INACTIVE
	RolloutState       string `json:"rolloutState,omitempty"`
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`
	TaskDefinition     string `json:"taskDefinition"`
	Revision           int    `json:"revision"`
	Desired            int32  `json:"desired"`
	Pending            int32  `json:"pending"`
	Running            int32  `json:"running"`
	Failed             int32  `json:"failed"`
}

// AZHealth counts the target group's targets in one availability zone by state.
type AZHealth struct {
	AZ        string `json:"az"`
	Healthy   int    `json:"healthy"`
	Initial   int    `json:"initial"`
	Draining  int    `json:"draining"`
	Unhealthy int    `json:"unhealthy"`
	Other     int    `json:"other,omitempty"` // unused, unavailable
}
