package awsenv

import (
	"context"
	"fmt"
	"io"

	"github.com/empctl/empctl/pkg/env"
)

func (e *Env) BuildBackend(ctx context.Context, opts env.BuildOptions, log io.Writer) (env.Release, error) {
	return env.Release{}, fmt.Errorf("deploy backend on AWS: %w", env.ErrNotImplemented)
}

func (e *Env) PlanBackend(ctx context.Context, rel env.Release) (env.Plan, error) {
	return env.Plan{}, fmt.Errorf("deploy backend on AWS: %w", env.ErrNotImplemented)
}

func (e *Env) DeployBackend(ctx context.Context, rel env.Release, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	return env.Rollout{}, fmt.Errorf("deploy backend on AWS: %w", env.ErrNotImplemented)
}

func (e *Env) Rollback(ctx context.Context, opts env.RollbackOptions, progress func(env.Event)) (env.Rollout, error) {
	return env.Rollout{}, fmt.Errorf("rollback on AWS: %w", env.ErrNotImplemented)
}

func (e *Env) Status(ctx context.Context) (env.Status, error) {
	return env.Status{}, fmt.Errorf("status on AWS: %w", env.ErrNotImplemented)
}
