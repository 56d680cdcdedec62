package local

import (
	"context"
	"io"

	"github.com/empctl/empctl/pkg/env"
)

// Env is the local environment as commands see it: it builds in SourceDir and
// drives the stack that `empctl up` runs, through its control socket.
type Env struct {
	SourceDir string
	StateDir  string
	client    *Client
}

var _ env.Environment = (*Env)(nil)

// NewEnv returns the local environment for the project in sourceDir whose
// state lives in stateDir (normally sourceDir/.empctl/local).
func NewEnv(sourceDir, stateDir string) *Env {
	return &Env{SourceDir: sourceDir, StateDir: stateDir, client: NewClient(stateDir)}
}

func (e *Env) Name() string { return "local" }

func (e *Env) Endpoint(ctx context.Context) (string, error) {
	st, err := e.client.Status(ctx)
	return st.Endpoint, err
}

func (e *Env) BuildBackend(ctx context.Context, opts env.BuildOptions, log io.Writer) (env.Release, error) {
	rel, err := BuildServer(ctx, e.SourceDir, e.StateDir, log)
	if err != nil {
		return env.Release{}, err
	}
	return env.Release{Version: rel.Version, Artifact: rel.Binary, Digest: rel.Digest, Force: opts.Force, Env: opts.Env}, nil
}

func (e *Env) DeployBackend(ctx context.Context, rel env.Release, progress func(env.Event)) (env.Rollout, error) {
	return e.client.Deploy(ctx, Release{Version: rel.Version, Binary: rel.Artifact, Digest: rel.Digest, Env: rel.Env, Force: rel.Force}, progress)
}

func (e *Env) Rollback(ctx context.Context, progress func(env.Event)) (env.Rollout, error) {
	return e.client.Rollback(ctx, progress)
}

// DeployFrontend builds the webapp (when its sources changed) and publishes it.
func (e *Env) DeployFrontend(ctx context.Context, log io.Writer, progress func(env.Event)) (env.Frontend, error) {
	if _, err := e.client.Status(ctx); err != nil {
		return env.Frontend{}, err
	}
	dist, _, err := BuildWebapp(ctx, e.SourceDir, false, log)
	if err != nil {
		return env.Frontend{}, err
	}
	if dist == "" {
		return env.Frontend{}, errNoWebapp
	}
	return e.client.PublishFrontend(ctx, dist, progress)
}

func (e *Env) Status(ctx context.Context) (env.Status, error) { return e.client.Status(ctx) }

// KillTarget kills one replica without warning (SIGKILL), for
// `verify-zero-downtime --kill`.
func (e *Env) KillTarget(ctx context.Context, id string) error { return e.client.KillTarget(ctx, id) }
