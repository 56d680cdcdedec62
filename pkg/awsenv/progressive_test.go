package awsenv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/gate"
	"github.com/empctl/empctl/pkg/rollout"
)

// A progressive strategy on an environment provisioned without
// progressive_delivery is refused before anything is pushed, saying what to do.
func TestProgressiveNeedsProgressiveDelivery(t *testing.T) {
	e := &awsenv.Env{Config: config.Environment{Name: "prod"}, Outputs: config.Outputs{ServiceName: "api"}}
	cfg := rollout.Defaults(false)
	cfg.Strategy = rollout.Canary
	_, err := e.DeployBackend(t.Context(), env.Release{Version: "v2", Digest: "sha256:2"}, env.DeployOptions{Strategy: cfg, Gate: gate.New(cfg.Gate)}, func(env.Event) {})
	if err == nil || !strings.Contains(err.Error(), "set progressive_delivery = true") || !strings.Contains(err.Error(), "empctl provision") {
		t.Errorf("err = %v, want one saying to set progressive_delivery and provision", err)
	}
}

func TestCanaryPercentInTenths(t *testing.T) {
	e := &awsenv.Env{Config: config.Environment{Name: "prod"}}
	cfg := rollout.Defaults(false)
	cfg.Strategy, cfg.CanaryPercent = rollout.Canary, 12.34
	_, err := e.DeployBackend(t.Context(), env.Release{Version: "v2", Digest: "sha256:2"}, env.DeployOptions{Strategy: cfg, Gate: gate.New(cfg.Gate)}, func(env.Event) {})
	var re *rollout.RangeError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "multiples of 0.1") {
		t.Errorf("err = %v, want a RangeError saying ECS takes tenths", err)
	}
}
