package backend

import (
	"context"
	"io"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/gate"
	"github.com/empctl/empctl/pkg/rollout"
)

// GateFactory builds the gate that promotes a progressive rollout on e;
// warnings go to errOut.
type GateFactory func(ctx context.Context, cfg rollout.GateConfig, e env.Environment, errOut io.Writer) (rollout.Gate, error)

// newGate is empctl's gate: verify's request mix through the test route,
// with the environment's operator key, then a probe and the traffic
// counters for each production step.
var newGate GateFactory = func(ctx context.Context, cfg rollout.GateConfig, e env.Environment, errOut io.Writer) (rollout.Gate, error) {
	return gate.New(cfg, gate.WithHeader(shared.OperatorHeader(ctx, e, errOut))), nil
}
