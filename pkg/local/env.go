// Package local is the local environment as empctl's commands see it: an
// env.Environment that builds from the sources (package build) and drives
// the stack `empctl up` runs (package stack) through its control socket
// (package control). The balancer and the web root have packages of their own.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/build"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/stack"
)

// Env is the local environment as commands see it: it builds in SourceDir and
// drives the stack that `empctl up` runs, through its control socket.
type Env struct {
	SourceDir string
	StateDir  string
	client    *control.Client
}

var _ env.Environment = (*Env)(nil)

// NewEnv returns the local environment for the project in sourceDir whose
// state lives in stateDir (normally sourceDir/.empctl/local).
func NewEnv(sourceDir, stateDir string) *Env {
	return &Env{SourceDir: sourceDir, StateDir: stateDir, client: control.NewClient(stateDir)}
}

func (e *Env) Name() string { return "local" }

func (e *Env) Endpoint(ctx context.Context) (string, error) {
	st, err := e.client.Status(ctx)
	return st.Endpoint, err
}

func (e *Env) BuildBackend(ctx context.Context, opts env.BuildOptions, log io.Writer) (env.Release, error) {
	rel, err := build.Server(ctx, e.SourceDir, e.StateDir, log)
	if err != nil {
		return env.Release{}, err
	}
	return env.Release{Version: rel.Version, Artifact: rel.Binary, Digest: rel.Digest, Force: opts.Force, Env: opts.Env}, nil
}

// PlanBackend asks the stack what its deploy of rel would do, decided by the
// code that decides the deploy; the local stack has no configuration beyond
// the binary, so there is no diff.
func (e *Env) PlanBackend(ctx context.Context, rel env.Release) (env.Plan, error) {
	return e.client.PlanDeploy(ctx, stackRelease(rel))
}

func stackRelease(rel env.Release) stack.Release {
	return stack.Release{Version: rel.Version, Binary: rel.Artifact, Digest: rel.Digest, Env: rel.Env, Force: rel.Force}
}

// DeployBackend rolls rel out; the local stack's rollout has its own grace
// period, so opts' AWS timings do not apply. A progressive strategy's gate
// runs here, at the stack's gate hooks.
func (e *Env) DeployBackend(ctx context.Context, rel env.Release, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	srel := stackRelease(rel)
	if opts.Strategy.Strategy.Progressive() {
		if err := opts.Strategy.Validate(); err != nil {
			return env.Rollout{}, err
		}
		if opts.Gate == nil {
			return env.Rollout{}, errors.New("a progressive rollout needs a gate to promote it")
		}
		return e.client.DeployProgressive(ctx, srel, opts.Strategy, opts.Gate, progress)
	}
	return e.client.Deploy(ctx, srel, progress)
}

// Rollback returns to the previous release, the only one the stack keeps.
func (e *Env) Rollback(ctx context.Context, opts env.RollbackOptions, progress func(env.Event)) (env.Rollout, error) {
	if opts.To != "" {
		st, err := e.client.Status(ctx)
		if err != nil {
			return env.Rollout{}, err
		}
		if opts.To != st.PreviousVersion {
			return env.Rollout{}, fmt.Errorf("the local stack keeps only the previous release (%s); it cannot roll back to %s", orNone(st.PreviousVersion), opts.To)
		}
	}
	if opts.Strategy.Strategy.Progressive() {
		if err := opts.Strategy.Validate(); err != nil {
			return env.Rollout{}, err
		}
		if opts.Gate == nil {
			return env.Rollout{}, errors.New("a progressive rollback needs a gate to promote it")
		}
		return e.client.RollbackProgressive(ctx, opts.Strategy, opts.Gate, progress)
	}
	return e.client.Rollback(ctx, progress)
}

// CheckFrontend checks that the stack runs: its web root takes the publish.
func (e *Env) CheckFrontend(ctx context.Context) error {
	_, err := e.client.Status(ctx)
	return err
}

// DeployFrontend publishes the webapp build in dist; a dry run asks the
// stack what its publish would do.
func (e *Env) DeployFrontend(ctx context.Context, dist string, opts env.FrontendOptions, progress func(env.Event)) (env.Frontend, error) {
	abs, err := filepath.Abs(dist)
	if err != nil {
		return env.Frontend{}, err
	}
	if opts.DryRun {
		return e.client.PlanFrontend(ctx, abs)
	}
	return e.client.PublishFrontend(ctx, abs, progress)
}

// RollbackFrontend switches the web root back to a kept release.
func (e *Env) RollbackFrontend(ctx context.Context, opts env.FrontendRollbackOptions, progress func(env.Event)) (env.Frontend, error) {
	return e.client.RollbackFrontend(ctx, opts.To, opts.DryRun, progress)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Status is the stack's, with the two releases it keeps as its recent
// revisions: the one serving (since its oldest replica started) and the
// previous one.
func (e *Env) Status(ctx context.Context) (env.Status, error) {
	st, err := e.client.Status(ctx)
	if err != nil || st.Version == "" {
		return st, err
	}
	cur := env.Revision{Version: st.Version, Live: true}
	for _, t := range st.Targets {
		if t.Version == st.Version && !t.Started.IsZero() && (cur.Served.IsZero() || t.Started.Before(cur.Served)) {
			cur.Served = t.Started
		}
	}
	st.Revisions = []env.Revision{cur}
	if st.PreviousVersion != "" {
		st.Revisions = append(st.Revisions, env.Revision{Version: st.PreviousVersion})
	}
	return st, nil
}

// KillTarget kills one replica without warning (SIGKILL), for
// `verify-zero-downtime --kill`.
func (e *Env) KillTarget(ctx context.Context, id string) error { return e.client.KillTarget(ctx, id) }

// OperatorKey reads the key `empctl up` made for the replicas.
func (e *Env) OperatorKey(context.Context) (string, error) {
	return stack.ReadOperatorKey(e.StateDir)
}
