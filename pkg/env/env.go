// Package env is the seam between empctl's commands and the place the app runs:
// the local stack or an AWS account. Commands resolve --env to an Environment
// once (package env/resolve) and then act on it without knowing which it is.
package env

import (
	"context"
	"io"
	"time"
)

// An Environment is where the app runs.
type Environment interface {
	// Name is the environment's name as given to --env.
	Name() string
	// Endpoint is the public entry point: the local load balancer or the
	// CloudFront domain, as a base URL without a trailing slash.
	Endpoint(ctx context.Context) (string, error)
	// BuildBackend builds the server from the sources; build output goes to log.
	BuildBackend(ctx context.Context, opts BuildOptions, log io.Writer) (Release, error)
	// DeployBackend rolls out rel and blocks until the rollout has completed or
	// failed. A failed rollout returns its Rollout (with Outcome "failed") and an
	// error wrapping ErrRolloutFailed.
	DeployBackend(ctx context.Context, rel Release, progress func(Event)) (Rollout, error)
	// Rollback rolls back to the release before the current one.
	Rollback(ctx context.Context, progress func(Event)) (Rollout, error)
	// DeployFrontend builds the webapp and publishes it atomically.
	DeployFrontend(ctx context.Context, log io.Writer, progress func(Event)) (Frontend, error)
	Status(ctx context.Context) (Status, error)
}

// BuildOptions say how to build a release.
type BuildOptions struct {
	// Force makes a build identical to the running one a new release anyway:
	// a forced redeploy under a new version.
	Force bool
	// Env adds environment variables to the release's replicas.
	Env map[string]string
}

// Release is one build of the server, ready to deploy.
type Release struct {
	Version string `json:"version"`
	// Artifact locates the build: a binary path locally, an image reference on AWS.
	Artifact string `json:"artifact"`
	Digest   string `json:"digest,omitempty"`
	// Force deploys it even when the same build is already running.
	Force bool              `json:"force,omitempty"`
	Env   map[string]string `json:"env,omitempty"`
}

// Event is one step of progress, for a live display.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Target  string    `json:"target,omitempty"`
	Version string    `json:"version,omitempty"`
	Message string    `json:"message"`
}

// Outcomes of a rollout.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
)

// Rollout is what a backend deploy or rollback did.
type Rollout struct {
	Version         string    `json:"version"`
	PreviousVersion string    `json:"previousVersion"`
	Outcome         string    `json:"outcome"`
	Reason          string    `json:"reason,omitempty"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	// FailedTarget is the replica or task that made the rollout fail, and Logs
	// its last log lines.
	FailedTarget string   `json:"failedTarget,omitempty"`
	Logs         []string `json:"logs,omitempty"`
}

// Duration is how long the rollout took.
func (r Rollout) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// Frontend is a published webapp release.
type Frontend struct {
	Release string `json:"release"`
	Files   int    `json:"files"`
	// Retained counts the previous release's hashed assets kept available.
	Retained int `json:"retained"`
	// Unchanged is set when the build was the one already published: nothing changed.
	Unchanged bool `json:"unchanged,omitempty"`
}

// Status is an environment's state.
type Status struct {
	Env             string    `json:"env"`
	Endpoint        string    `json:"endpoint"`
	Version         string    `json:"version"`
	PreviousVersion string    `json:"previousVersion,omitempty"`
	Deploying       bool      `json:"deploying"`
	Desired         int       `json:"desired"`
	Targets         []Target  `json:"targets"`
	Frontend        *Frontend `json:"frontend,omitempty"`
	Started         time.Time `json:"started"`
}

// Target is one replica (a task behind the load balancer) and its health.
type Target struct {
	ID       string    `json:"id"`
	Version  string    `json:"version"`
	Addr     string    `json:"addr"`
	PID      int       `json:"pid,omitempty"`
	State    string    `json:"state"`
	Health   string    `json:"health"`
	InFlight int64     `json:"inFlight"`
	Started  time.Time `json:"started"`
}
