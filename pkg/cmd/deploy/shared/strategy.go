package shared

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/rollout"
)

// BindStrategyFlags adds the flags that choose a rollout's strategy and size
// its gate (deploy backend, verify-zero-downtime) and binds them to cfg. The
// values only count where a flag was given: ResolveStrategy starts from the
// environment's defaults (bakes in minutes on AWS, seconds locally).
func BindStrategyFlags(fs *pflag.FlagSet, cfg *rollout.Config) {
	aws, local := rollout.Defaults(false), rollout.Defaults(true)
	names := make([]string, len(rollout.Strategies))
	for i, s := range rollout.Strategies {
		names[i] = string(s)
	}
	both := func(a, l fmt.Stringer) string {
		if a.String() == l.String() {
			return a.String()
		}
		return fmt.Sprintf("%s on AWS, %s locally", a, l)
	}
	fs.StringVar((*string)(&cfg.Strategy), "strategy", "", "how the new version replaces the old: "+strings.Join(names, ", ")+" (default: the environment's deploy.strategy, else rolling)")
	fs.Float64Var(&cfg.CanaryPercent, "canary-percent", aws.CanaryPercent, fmt.Sprintf("canary: the share of production traffic the canary step moves (%g to %g)", rollout.MinCanaryPercent, rollout.MaxCanaryPercent))
	fs.Float64Var(&cfg.StepPercent, "step-percent", aws.StepPercent, fmt.Sprintf("linear: the share each step moves (%g to %g)", rollout.MinStepPercent, rollout.MaxStepPercent))
	fs.DurationVar(&cfg.CanaryBake, "canary-bake", 0, "canary: how long the canary step runs before the rest moves (default "+both(aws.CanaryBake, local.CanaryBake)+")")
	fs.DurationVar(&cfg.StepBake, "step-bake", 0, "linear: how long each step runs before the next (default "+both(aws.StepBake, local.StepBake)+")")
	fs.DurationVar(&cfg.Bake, "bake", 0, "how long both versions run once all production traffic is on the new one (default "+both(aws.Bake, local.Bake)+")")
	fs.DurationVar(&cfg.Gate.TestDuration, "gate-duration", 0, "the gate's test traffic runs at least this long (default "+both(aws.Gate.TestDuration, local.Gate.TestDuration)+")")
	fs.IntVar(&cfg.Gate.TestRequests, "gate-requests", aws.Gate.TestRequests, "the gate's test traffic sends at least this many requests")
	fs.Float64Var(&cfg.Gate.MaxErrorRate, "max-error-rate", aws.Gate.MaxErrorRate, "the highest share (0 to 1) of its production requests the new version may fail, never more than the old version's")
}

// ResolveStrategy is the rollout configuration for an environment: its
// defaults (local or AWS), the strategy configured for it (empctl.yaml's
// deploy.strategy; "" for none), then every flag of fs that was given, from
// bound. A value outside ECS's limits or an unknown strategy is a usage
// error (exit 2) naming the valid range.
func ResolveStrategy(fs *pflag.FlagSet, bound rollout.Config, local bool, configured string) (rollout.Config, error) {
	c := rollout.Defaults(local)
	if configured != "" {
		s, err := rollout.ParseStrategy(configured)
		if err != nil {
			return c, cmdutil.FlagErrorf("deploy.strategy in empctl.yaml: %v", err)
		}
		c.Strategy = s
	}
	set := map[string]func(){
		"strategy":       func() { c.Strategy = bound.Strategy },
		"canary-percent": func() { c.CanaryPercent = bound.CanaryPercent },
		"step-percent":   func() { c.StepPercent = bound.StepPercent },
		"canary-bake":    func() { c.CanaryBake = bound.CanaryBake },
		"step-bake":      func() { c.StepBake = bound.StepBake },
		"bake":           func() { c.Bake = bound.Bake },
		"gate-duration":  func() { c.Gate.TestDuration = bound.Gate.TestDuration },
		"gate-requests":  func() { c.Gate.TestRequests = bound.Gate.TestRequests },
		"max-error-rate": func() { c.Gate.MaxErrorRate = bound.Gate.MaxErrorRate },
	}
	for name, apply := range set {
		if fs.Changed(name) {
			apply()
		}
	}
	if fs.Changed("strategy") {
		s, err := rollout.ParseStrategy(string(bound.Strategy))
		if err != nil {
			return c, cmdutil.FlagErrorf("--strategy: %v", err)
		}
		c.Strategy = s
	}
	if err := c.Validate(); err != nil {
		var re *rollout.RangeError
		if errors.As(err, &re) {
			return c, cmdutil.FlagErrorf("%v", err)
		}
		return c, err
	}
	return c, nil
}

// ConfiguredStrategy reads deploy.strategy for the environment from
// empctl.yaml in dir; an environment the file does not define has none
// (resolving --env reports that itself).
func ConfiguredStrategy(dir, envName string) (string, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return "", err
	}
	if envName == "" || envName == config.LocalEnv {
		return cfg.Deploy.Strategy, nil
	}
	return cfg.Environments[envName].Deploy.Strategy, nil
}

// PlanStrategy puts a progressive strategy's steps into a backend plan that
// rolls out: they take the place of the environment's last step (its rolling
// replacement), after the new version has started beside the old.
func PlanStrategy(p *env.Plan, cfg rollout.Config) {
	if !cfg.Strategy.Progressive() || p.Action == env.ActionUnchanged || len(p.Steps) == 0 {
		return
	}
	p.Strategy = cfg.Strategy
	steps := append([]string(nil), p.Steps[:len(p.Steps)-1]...)
	steps = append(steps, fmt.Sprintf("start %s beside the running version as a second target group; the gate sends at least %d test requests (for at least %s) through a test route that reaches only the new version",
		p.Version, cfg.Gate.TestRequests, cfg.Gate.TestDuration))
	for _, st := range cfg.Steps() {
		steps = append(steps, fmt.Sprintf("move %g %% of production traffic to %s and bake %s while the gate compares each version's errors (at most %g of requests)",
			st.Weight, p.Version, st.Bake, cfg.Gate.MaxErrorRate))
	}
	p.Steps = append(steps, "stop the old version; a failed check at any step returns all traffic to it at once (exit 3)")
}
