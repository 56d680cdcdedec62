// Package env is the seam between empctl's commands and the place the app runs:
// the local stack or an AWS account. Commands resolve --env to an Environment
// once (package env/resolve) and then act on it without knowing which it is.
package env

import (
	"context"
	"io"
	"time"

	"github.com/empctl/empctl/pkg/rollout"
)

// An Environment is where the app runs.
type Environment interface {
	// Name is the environment's name as given to --env.
	Name() string
	// Endpoint is the public entry point: the local load balancer or the
	// CloudFront domain, as a base URL without a trailing slash.
	Endpoint(ctx context.Context) (string, error)
	// BuildBackend builds the server from the sources without publishing it
	// anywhere (a binary locally, an image index for AWS); build output goes
	// to log. Building and deploying are separate so that a dry run never
	// pushes.
	BuildBackend(ctx context.Context, opts BuildOptions, log io.Writer) (Release, error)
	// PlanBackend says what DeployBackend would do with rel, changing nothing.
	PlanBackend(ctx context.Context, rel Release) (Plan, error)
	// DeployBackend publishes rel (pushes the image on AWS), rolls it out and
	// blocks until the rollout has completed or failed. A rollout that ran and
	// failed returns its Rollout (Outcome "failed") and an error wrapping
	// ErrRolloutFailed.
	DeployBackend(ctx context.Context, rel Release, opts DeployOptions, progress func(Event)) (Rollout, error)
	// Rollback rolls back to the release before the current one, or to
	// opts.To, the same way DeployBackend rolls out.
	Rollback(ctx context.Context, opts RollbackOptions, progress func(Event)) (Rollout, error)
	// CheckFrontend makes the checks DeployFrontend starts with (locally: the
	// stack runs; on AWS: the credentials work and the CloudFront
	// distribution exists), so that a command can make them before a build
	// the environment could not take.
	CheckFrontend(ctx context.Context) error
	// DeployFrontend publishes the webapp build in dist (built by the command)
	// so that browsers switch from the old release to the new one at once.
	DeployFrontend(ctx context.Context, dist string, opts FrontendOptions, progress func(Event)) (Frontend, error)
	// RollbackFrontend puts a retained webapp release live again (opts.To,
	// else the one live before the current), without a build or an upload.
	// A release that is not retained is an error wrapping ErrNotRetained.
	RollbackFrontend(ctx context.Context, opts FrontendRollbackOptions, progress func(Event)) (Frontend, error)
	Status(ctx context.Context) (Status, error)
	// KillTarget stops one serving target without warning (SIGKILL locally,
	// StopTask on ECS), to prove the app survives it.
	KillTarget(ctx context.Context, id string) error
	// Logs sends the serving targets' log lines from opts.Since to emit in
	// time order, each naming its target (the replicas' log files locally,
	// the service's CloudWatch Logs group on AWS). With opts.Follow it then
	// sends new lines as they come until ctx ends, and returns ctx's error.
	Logs(ctx context.Context, opts LogOptions, emit func(LogLine)) error
}

// LogOptions say which log lines to read.
type LogOptions struct {
	// Since is the time of the oldest line; zero means all there are.
	Since time.Time
	// Follow keeps sending new lines until the context ends.
	Follow bool
	// Target limits the lines to one replica or task.
	Target string
	// PollInterval is how often new lines are looked for with Follow; zero
	// takes the environment's default.
	PollInterval time.Duration
}

// LogLine is one line a target logged.
type LogLine struct {
	Time    time.Time `json:"time"`
	Target  string    `json:"target"`
	Message string    `json:"message"`
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
	// Artifact locates the build: a binary path locally, the image's
	// repository:tag on AWS.
	Artifact string `json:"artifact"`
	Digest   string `json:"digest,omitempty"`
	// Force deploys it even when the same build is already running.
	Force bool              `json:"force,omitempty"`
	Env   map[string]string `json:"env,omitempty"`
}

// DeployOptions tune how a rollout is watched. Zero values take the
// environment's defaults.
type DeployOptions struct {
	// Timeout bounds the rollout; past it the rollout is rolled back.
	Timeout time.Duration
	// PollInterval is how often the rollout's state is read (AWS).
	PollInterval time.Duration
	// NoRollback leaves a timed-out rollout running instead of rolling back.
	NoRollback bool
	// Strategy is how the new version replaces the old; the zero value is a
	// rolling deploy.
	Strategy rollout.Config
	// Gate promotes a progressive rollout from what clients see; required
	// when Strategy is progressive.
	Gate rollout.Gate `json:"-"`
}

// RollbackOptions say where to roll back to.
type RollbackOptions struct {
	DeployOptions
	// To is the version (or, on AWS, the task definition revision) to return
	// to; empty means the release before the current one.
	To string
}

// FrontendOptions tune a webapp publish. Zero values take the defaults.
type FrontendOptions struct {
	// Concurrency is the number of parallel uploads.
	Concurrency int
	// Keep is how many releases' files stay available.
	Keep int
	// DryRun reports the plan and changes nothing.
	DryRun bool
	// NoWait returns without waiting for the CDN invalidation to complete.
	NoWait bool
}

// FrontendRollbackOptions say where to roll the webapp back to.
type FrontendRollbackOptions struct {
	// To is a retained release's id or a unique prefix of it; empty means the
	// release live before the current one.
	To string
	// DryRun reports what would change and changes nothing.
	DryRun bool
	// NoWait returns without waiting for the CDN invalidation to complete.
	NoWait bool
}

// FrontendRelease is one retained webapp release.
type FrontendRelease struct {
	Release   string    `json:"release"`
	Published time.Time `json:"published,omitzero"`
	Files     int       `json:"files"`
	Live      bool      `json:"live"`
}

// Revision is one backend release that served, newest first in a list.
type Revision struct {
	Version string `json:"version"`
	// Revision is the ECS task definition (AWS).
	Revision string `json:"revision,omitempty"`
	// Served is when it started serving, where known.
	Served time.Time `json:"served,omitzero"`
	Live   bool      `json:"live"`
}

// Actions a backend deploy decides on, the same for its dry run: a new
// build rolls out, the running build rolls out again only when forced (as a
// new version), else nothing is deployed.
const (
	ActionRollout   = "rollout"
	ActionRedeploy  = "redeploy"
	ActionUnchanged = "unchanged"
)

// Plan is what a backend deploy would do.
type Plan struct {
	Env string `json:"env"`
	// Action is the deploy's decision (ActionRollout, ActionRedeploy or
	// ActionUnchanged); Reason says why nothing would be deployed.
	Action  string `json:"action"`
	Reason  string `json:"reason,omitempty"`
	Version string `json:"version"`
	// Artifact is what would be published: the binary, or the image reference
	// that would be pushed.
	Artifact string `json:"artifact"`
	// Current is what serves now (version or task definition).
	Current string `json:"current,omitempty"`
	// Steps say in words what would happen, in order.
	Steps []string `json:"steps"`
	// Diff is a unified diff of the running and the new configuration (the
	// task definition on AWS), when there is one.
	Diff string `json:"diff,omitempty"`
	// Strategy is how the rollout would run, when progressive.
	Strategy rollout.Strategy `json:"strategy,omitempty"`
}

// Event is one step of progress, for a live display.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Target  string    `json:"target,omitempty"`
	Version string    `json:"version,omitempty"`
	Message string    `json:"message"`
	// Key, when set, names a line that later events with the same key
	// replace (a deployment's counts, target health per zone): a terminal
	// redraws it in place, plain output prints each change once.
	Key string `json:"key,omitempty"`
	// Rollout is a progressive rollout's position (stage, weight, the
	// gate's figures) at this event.
	Rollout *rollout.State `json:"rollout,omitempty"`
	// Verdict is the gate's decision, on the event that reports one.
	Verdict *rollout.Verdict `json:"verdict,omitempty"`
}

// Outcomes of a rollout.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
	// OutcomeUnchanged: nothing was deployed, the build is the one running.
	OutcomeUnchanged = "unchanged"
)

// Rollout is what a backend deploy or rollback did.
type Rollout struct {
	Version         string    `json:"version"`
	PreviousVersion string    `json:"previousVersion"`
	Outcome         string    `json:"outcome"`
	Reason          string    `json:"reason,omitempty"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	// Revision and PreviousRevision name the ECS task definitions (AWS).
	Revision         string `json:"revision,omitempty"`
	PreviousRevision string `json:"previousRevision,omitempty"`
	// Image is the digest-pinned image reference that was deployed (AWS).
	Image string `json:"image,omitempty"`
	// FailedTarget is the replica or task that made the rollout fail, and Logs
	// its last log lines (or the stopped tasks' reasons on AWS).
	FailedTarget string   `json:"failedTarget,omitempty"`
	Logs         []string `json:"logs,omitempty"`
	// Strategy is how the rollout ran; Verdicts are the gate's decisions, in
	// order, the last being the one that promoted or rolled back.
	Strategy rollout.Strategy  `json:"strategy,omitempty"`
	Verdicts []rollout.Verdict `json:"verdicts,omitempty"`
}

// Duration is how long the rollout took.
func (r Rollout) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// Frontend is a published webapp release.
type Frontend struct {
	Release string `json:"release"`
	Files   int    `json:"files"`
	// Published is when the release went live, where known.
	Published time.Time `json:"published,omitzero"`
	// Retained counts the previous release's hashed assets kept available.
	Retained int `json:"retained"`
	// Unchanged is set when the build was the one already published: nothing changed.
	Unchanged bool `json:"unchanged,omitempty"`
	// Replaces is the live release a dry run would replace, when the plan
	// cannot name the new release yet (the local stack names it when it
	// publishes).
	Replaces string `json:"replaces,omitempty"`

	// What a sync to a bucket did or, with DryRun, would do (AWS): files
	// uploaded (new or changed) and unchanged, files deleted past the
	// retention window, with their bytes; the CDN invalidation and its paths.
	DryRun            bool     `json:"dryRun,omitempty"`
	Uploaded          int      `json:"uploaded"`
	UploadedBytes     int64    `json:"uploadedBytes"`
	UnchangedFiles    int      `json:"unchangedFiles"`
	Deleted           int      `json:"deleted"`
	DeletedBytes      int64    `json:"deletedBytes"`
	Invalidation      string   `json:"invalidation,omitempty"`
	InvalidationPaths []string `json:"invalidationPaths,omitempty"`
	// Uploads and Deletions list the files, in a dry run.
	Uploads   []string `json:"uploads,omitempty"`
	Deletions []string `json:"deletions,omitempty"`
	// Seconds is how long the publish took.
	Seconds float64 `json:"seconds,omitempty"`
	// From is the release that was live before a rollback, and Restored the
	// unhashed files the rollback put back (would put back, with DryRun).
	From     string   `json:"from,omitempty"`
	Restored []string `json:"restored,omitempty"`
}

// Status is an environment's state.
type Status struct {
	Env             string `json:"env"`
	Endpoint        string `json:"endpoint"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previousVersion,omitempty"`
	// Service, Revision and Image describe the ECS service (AWS).
	Service   string `json:"service,omitempty"`
	Revision  string `json:"revision,omitempty"`
	Image     string `json:"image,omitempty"`
	Deploying bool   `json:"deploying"`
	// Progressive is the progressive rollout in flight, if one is.
	Progressive *rollout.State `json:"progressive,omitempty"`
	Desired     int            `json:"desired"`
	Targets     []Target       `json:"targets"`
	Frontend    *Frontend      `json:"frontend,omitempty"`
	// FrontendReleases are the retained webapp releases, the live one first.
	FrontendReleases []FrontendRelease `json:"frontendReleases,omitempty"`
	// Revisions are the backend's recent releases that served, newest first.
	Revisions []Revision `json:"revisions,omitempty"`
	// Deployments are the service's deployments in progress or just ended (AWS).
	Deployments []Deployment `json:"deployments,omitempty"`
	// Events are the service's latest events, newest first (AWS).
	Events  []Event   `json:"events,omitempty"`
	Started time.Time `json:"started,omitzero"`
}

// Deployment is one ECS deployment of a service.
type Deployment struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	Rollout  string    `json:"rolloutState,omitempty"`
	Revision string    `json:"revision"`
	Desired  int       `json:"desired"`
	Pending  int       `json:"pending"`
	Running  int       `json:"running"`
	Failed   int       `json:"failed"`
	Created  time.Time `json:"created,omitzero"`
}

// Target is one replica or task behind the load balancer, and its health.
type Target struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	// Revision is the ECS task definition the task runs (AWS).
	Revision string `json:"revision,omitempty"`
	// Zone is the availability zone (AWS) or "local".
	Zone    string    `json:"zone,omitempty"`
	Addr    string    `json:"addr,omitempty"`
	State   string    `json:"state"`
	Health  string    `json:"health"`
	Started time.Time `json:"started,omitzero"`
	// PID and InFlight are known for local replicas only.
	PID      int   `json:"pid,omitempty"`
	InFlight int64 `json:"inFlight,omitempty"`
}
