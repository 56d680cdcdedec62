package backend

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/rollout"
)

// GateFactory builds the gate that promotes a progressive rollout on e.
type GateFactory func(cfg rollout.GateConfig, e env.Environment) (rollout.Gate, error)

// newGate is empctl's gate (package gate, merged separately: wire
// gate.New here).
var newGate GateFactory = func(rollout.GateConfig, env.Environment) (rollout.Gate, error) {
	return nil, errors.New("this build of empctl has no gate (package gate) to promote a progressive rollout; deploy with --strategy rolling")
}

// strategyFlags are the progressive-delivery flags. A flag left unset takes
// rollout.Defaults for the environment (seconds locally, minutes on AWS).
type strategyFlags struct {
	strategy      string
	canaryPercent float64
	stepPercent   float64
	canaryBake    time.Duration
	stepBake      time.Duration
	bake          time.Duration
	gateDuration  time.Duration
	gateRequests  int
	maxErrorRate  float64
	changed       func(name string) bool
}

func addStrategyFlags(cmd *cobra.Command, sf *strategyFlags) {
	aws, local := rollout.Defaults(false), rollout.Defaults(true)
	names := make([]string, len(rollout.Strategies))
	for i, s := range rollout.Strategies {
		names[i] = string(s)
	}
	f := cmd.Flags()
	f.StringVar(&sf.strategy, "strategy", "", "how the new version replaces the old: "+strings.Join(names, ", ")+" (default: deploy.strategy in empctl.yaml, else rolling)")
	f.Float64Var(&sf.canaryPercent, "canary-percent", aws.CanaryPercent, "canary: percent of production traffic the canary step moves (0.1-100)")
	f.Float64Var(&sf.stepPercent, "step-percent", aws.StepPercent, "linear: percent of production traffic each step moves (3-100)")
	f.DurationVar(&sf.canaryBake, "canary-bake", aws.CanaryBake, fmt.Sprintf("canary: how long the canary step runs before the rest moves (local: %s)", local.CanaryBake))
	f.DurationVar(&sf.stepBake, "step-bake", aws.StepBake, fmt.Sprintf("linear: how long each step runs before the next (local: %s)", local.StepBake))
	f.DurationVar(&sf.bake, "bake", aws.Bake, fmt.Sprintf("how long both versions run once all production traffic is on the new one (local: %s)", local.Bake))
	f.DurationVar(&sf.gateDuration, "gate-duration", aws.Gate.TestDuration, fmt.Sprintf("how long the gate's test load runs through the test route (local: %s)", local.Gate.TestDuration))
	f.IntVar(&sf.gateRequests, "gate-requests", aws.Gate.TestRequests, "how many requests the gate's test load sends at least")
	f.Float64Var(&sf.maxErrorRate, "max-error-rate", aws.Gate.MaxErrorRate, "highest share (0-1) of the new version's production requests that may fail")
	_ = cmd.RegisterFlagCompletionFunc("strategy", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

// config is the rollout configuration for e: the flags given, the
// environment's defaults for the rest. def is empctl.yaml's strategy.
func (sf *strategyFlags) config(e env.Environment, def string) (rollout.Config, error) {
	name := sf.strategy
	if name == "" {
		name = def
	}
	if name == "" {
		name = string(rollout.Rolling)
	}
	s, err := rollout.ParseStrategy(name)
	if err != nil {
		return rollout.Config{}, &cmdutil.FlagError{Err: err}
	}
	c := rollout.Defaults(e.Name() == config.LocalEnv)
	c.Strategy = s
	set := func(flag string, dst, v any) {
		if sf.changed == nil || !sf.changed(flag) {
			return
		}
		switch d := dst.(type) {
		case *float64:
			*d = v.(float64)
		case *time.Duration:
			*d = v.(time.Duration)
		case *int:
			*d = v.(int)
		}
	}
	set("canary-percent", &c.CanaryPercent, sf.canaryPercent)
	set("step-percent", &c.StepPercent, sf.stepPercent)
	set("canary-bake", &c.CanaryBake, sf.canaryBake)
	set("step-bake", &c.StepBake, sf.stepBake)
	set("bake", &c.Bake, sf.bake)
	set("gate-duration", &c.Gate.TestDuration, sf.gateDuration)
	set("gate-requests", &c.Gate.TestRequests, sf.gateRequests)
	set("max-error-rate", &c.Gate.MaxErrorRate, sf.maxErrorRate)
	if err := c.Validate(); err != nil {
		var re *rollout.RangeError
		if errors.As(err, &re) {
			return rollout.Config{}, &cmdutil.FlagError{Err: err}
		}
		return rollout.Config{}, err
	}
	return c, nil
}

// defaultStrategy reads deploy.strategy for the environment from
// empctl.yaml in dir; an environment the file does not define has none
// (resolving --env reports that itself).
func defaultStrategy(dir, envName string) (string, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return "", err
	}
	if envName == "" || envName == config.LocalEnv {
		return cfg.Deploy.Strategy, nil
	}
	return cfg.Environments[envName].Deploy.Strategy, nil
}
