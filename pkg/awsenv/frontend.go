package awsenv

import (
	"context"
	"fmt"

	"github.com/empctl/empctl/pkg/env"
)

// DeployFrontend syncs dist to the webapp bucket and invalidates CloudFront.
func (e *Env) DeployFrontend(ctx context.Context, dist string, opts env.FrontendOptions, progress func(env.Event)) (env.Frontend, error) {
	return env.Frontend{}, fmt.Errorf("deploy frontend on AWS: %w", env.ErrNotImplemented)
}
