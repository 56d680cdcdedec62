package awsenv

import (
	"errors"
	"fmt"
	"math"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/env"
	strategy "github.com/empctl/empctl/pkg/rollout" // awsenv has a func rollout
)

// plumbing is what Terraform made for progressive delivery, from the
// outputs (all empty without progressive_delivery).
func (e *Env) plumbing() ecsdeploy.Plumbing {
	o := e.Outputs
	return ecsdeploy.Plumbing{AlternateTargetGroupARN: o.AlternateTargetGroupARN, ProductionRuleARN: o.ProductionListenerRuleARN,
		TestRuleARN: o.TestListenerRuleARN, RoleARN: o.ECSLoadBalancersRoleARN, TestHeaderName: o.TestRouteHeaderName}
}

// checkProgressive refuses a progressive strategy before anything is pushed
// when the environment lacks its plumbing or the deploy its gate.
func (e *Env) checkProgressive(opts env.DeployOptions) error {
	if opts.Gate == nil {
		return errors.New("a " + string(opts.Strategy.Strategy) + " rollout needs a gate to promote it")
	}
	// CanaryConfiguration: "multiples of 0.1 from 0.1 to 100.0".
	if c := opts.Strategy; c.Strategy == strategy.Canary && math.Abs(c.CanaryPercent*10-math.Round(c.CanaryPercent*10)) > 1e-9 {
		return &strategy.RangeError{Field: "canary-percent", Msg: fmt.Sprintf("--canary-percent %g: ECS accepts multiples of 0.1 only", c.CanaryPercent)}
	}
	p := e.plumbing()
	if p.AlternateTargetGroupARN == "" || p.ProductionRuleARN == "" || p.TestRuleARN == "" || p.RoleARN == "" || p.TestHeaderName == "" {
		return fmt.Errorf("env %s: %w", e.Name(), ecsdeploy.ErrNoPlumbing)
	}
	return nil
}

// progressiveOptions drive a blue/green, canary or linear rollout: the test
// route is the public entry point (CloudFront) with the test rule's header.
func (e *Env) progressiveOptions(opts env.DeployOptions) ecsdeploy.ProgressiveOptions {
	return ecsdeploy.ProgressiveOptions{Config: opts.Strategy, Gate: opts.Gate, Plumbing: e.plumbing(), Endpoint: e.Outputs.AppURL()}
}
