// Package rollout describes progressive delivery independently of where it
// runs: the strategies ECS offers (rolling, blue/green, canary, linear), the
// production traffic steps each makes, and the gate that decides, from what
// clients see, whether a new version may take production traffic. The local
// stack and the ECS deployer both drive a rollout through these types, so a
// strategy and its gate behave the same on `empctl up` and on AWS.
package rollout

import (
	"fmt"
	"strings"
	"time"
)

// Strategy is how a new version replaces the old one.
type Strategy string

// The strategies, as `--strategy` and empctl.yaml's deploy.strategy spell them.
const (
	// Rolling starts the new tasks beside the old and drains the old once the
	// new pass their health checks (ECS ROLLING, minimum 100 %, maximum 200 %).
	Rolling Strategy = "rolling"
	// BlueGreen starts a full new set, lets test traffic through, then moves
	// all production traffic at once and bakes (ECS BLUE_GREEN).
	BlueGreen Strategy = "blue-green"
	// Canary moves CanaryPercent of production traffic, bakes, then the rest
	// (ECS CANARY).
	Canary Strategy = "canary"
	// Linear moves StepPercent at a time, baking after each step (ECS LINEAR).
	Linear Strategy = "linear"
)

// Strategies lists every strategy, in the order help texts name them.
var Strategies = []Strategy{Rolling, BlueGreen, Canary, Linear}

// ParseStrategy reads a strategy's name; an unknown one is an error listing
// the valid names.
func ParseStrategy(s string) (Strategy, error) {
	for _, v := range Strategies {
		if strings.EqualFold(s, string(v)) {
			return v, nil
		}
	}
	names := make([]string, len(Strategies))
	for i, v := range Strategies {
		names[i] = string(v)
	}
	return "", &RangeError{Field: "strategy", Msg: fmt.Sprintf("unknown strategy %q: use one of %s", s, strings.Join(names, ", "))}
}

// Progressive says whether the strategy shifts traffic between two versions
// that run side by side (and so has a test route and a gate).
func (s Strategy) Progressive() bool { return s != "" && s != Rolling }

// ECS limits, from the ECS API reference (CanaryConfiguration,
// LinearConfiguration, DeploymentConfiguration.bakeTimeInMinutes).
const (
	MinCanaryPercent = 0.1
	MaxCanaryPercent = 100.0
	MinStepPercent   = 3.0
	MaxStepPercent   = 100.0
	MaxBake          = 1440 * time.Minute
)

// Config is one rollout's strategy and its timings. Zero durations are
// valid: no bake.
type Config struct {
	Strategy Strategy `json:"strategy"`
	// CanaryPercent is the share of production traffic the canary step moves.
	CanaryPercent float64 `json:"canaryPercent,omitempty"`
	// StepPercent is the share each linear step moves.
	StepPercent float64 `json:"stepPercent,omitempty"`
	// CanaryBake and StepBake are how long a canary or linear step runs
	// before the next shift.
	CanaryBake time.Duration `json:"canaryBake,omitempty"`
	StepBake   time.Duration `json:"stepBake,omitempty"`
	// Bake is how long both versions keep running once all production
	// traffic is on the new one, so that a rollback is a traffic shift back.
	Bake time.Duration `json:"bake,omitempty"`
	// Gate is the client-observed check that promotes the rollout.
	Gate GateConfig `json:"gate"`
}

// RangeError is a configuration value outside what ECS accepts, or an
// unknown name: a usage error (exit 2) that names the valid range.
type RangeError struct {
	Field string
	Msg   string
}

func (e *RangeError) Error() string { return e.Msg }

// Validate checks the values against ECS's limits, whatever the environment,
// so that a configuration tried locally is one AWS accepts.
func (c Config) Validate() error {
	if _, err := ParseStrategy(string(c.Strategy)); err != nil {
		return err
	}
	switch c.Strategy {
	case Canary:
		if c.CanaryPercent < MinCanaryPercent || c.CanaryPercent > MaxCanaryPercent {
			return &RangeError{"canary-percent", fmt.Sprintf("--canary-percent %g is out of range: ECS accepts %g to %g", c.CanaryPercent, MinCanaryPercent, MaxCanaryPercent)}
		}
	case Linear:
		if c.StepPercent < MinStepPercent || c.StepPercent > MaxStepPercent {
			return &RangeError{"step-percent", fmt.Sprintf("--step-percent %g is out of range: ECS accepts %g to %g", c.StepPercent, MinStepPercent, MaxStepPercent)}
		}
	}
	for _, b := range []struct {
		flag string
		d    time.Duration
	}{{"canary-bake", c.CanaryBake}, {"step-bake", c.StepBake}, {"bake", c.Bake}} {
		if b.d < 0 || b.d > MaxBake {
			return &RangeError{b.flag, fmt.Sprintf("--%s %s is out of range: ECS accepts 0 to 1440 minutes", b.flag, b.d)}
		}
	}
	return c.Gate.Validate()
}

// Step is one production traffic shift: after it, Weight percent of
// production traffic reaches the new version, and the rollout waits Bake
// before the next step.
type Step struct {
	Weight float64       `json:"weight"`
	Bake   time.Duration `json:"bake"`
}

// Steps are the production shifts the strategy makes, in order; the last
// always moves 100 % and carries the final bake. Rolling has none: it has no
// traffic shift of its own.
func (c Config) Steps() []Step {
	switch c.Strategy {
	case BlueGreen:
		return []Step{{Weight: 100, Bake: c.Bake}}
	case Canary:
		if c.CanaryPercent >= 100 {
			return []Step{{Weight: 100, Bake: c.Bake}}
		}
		return []Step{{Weight: c.CanaryPercent, Bake: c.CanaryBake}, {Weight: 100, Bake: c.Bake}}
	case Linear:
		var out []Step
		for w := c.StepPercent; w < 100; w += c.StepPercent {
			out = append(out, Step{Weight: w, Bake: c.StepBake})
		}
		return append(out, Step{Weight: 100, Bake: c.Bake})
	}
	return nil
}
