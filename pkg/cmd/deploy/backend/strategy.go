package backend

import (
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/gate"
	"github.com/empctl/empctl/pkg/rollout"
)

// GateFactory builds the gate that promotes a progressive rollout on e.
type GateFactory func(cfg rollout.GateConfig, e env.Environment) (rollout.Gate, error)

// newGate is empctl's gate: verify's request mix through the test route,
// then a probe and the traffic counters for each production step.
var newGate GateFactory = func(cfg rollout.GateConfig, _ env.Environment) (rollout.Gate, error) {
	return gate.New(cfg), nil
}
