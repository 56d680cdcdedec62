package shared

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/rollout"
)

func resolve(t *testing.T, local bool, configured string, args ...string) (rollout.Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	var bound rollout.Config
	BindStrategyFlags(fs, &bound)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return ResolveStrategy(fs, bound, local, configured)
}

// The environment's defaults hold where no flag was given; the configured
// strategy comes before the defaults and after the flags.
func TestStrategyFlagsOverrideTheEnvironmentsDefaults(t *testing.T) {
	c, err := resolve(t, true, "")
	if err != nil || c.Strategy != rollout.Rolling || c.Bake != rollout.Defaults(true).Bake {
		t.Fatalf("no flags, local: %+v, %v; want rolling with the local bakes", c, err)
	}
	c, err = resolve(t, false, "canary", "--canary-percent", "20", "--bake", "1m")
	if err != nil || c.Strategy != rollout.Canary || c.CanaryPercent != 20 || c.Bake != time.Minute || c.CanaryBake != rollout.Defaults(false).CanaryBake {
		t.Fatalf("configured canary with flags: %+v, %v", c, err)
	}
	c, err = resolve(t, false, "canary", "--strategy", "Linear")
	if err != nil || c.Strategy != rollout.Linear {
		t.Fatalf("--strategy over the configured one: %+v, %v", c, err)
	}
}

// Values outside ECS's limits and unknown strategies are usage errors (exit
// 2) naming the range.
func TestStrategyFlagsOutOfRangeAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--strategy", "blue"}, "rolling, blue-green, canary, linear"},
		{[]string{"--strategy", "canary", "--canary-percent", "0"}, "0.1 to 100"},
		{[]string{"--strategy", "linear", "--step-percent", "101"}, "3 to 100"},
		{[]string{"--bake", "25h"}, "0 to 1440 minutes"},
		{[]string{"--max-error-rate", "1.5"}, "0 to 1"},
	} {
		_, err := resolve(t, true, "", tc.args...)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (exit %d), want exit 2 naming %q", tc.args, err, cmdutil.ExitCode(err), tc.want)
		}
	}
}

// A progressive strategy's dry run names the strategy and its steps in
// place of the rolling replacement; a plan that deploys nothing keeps none.
func TestPlanStrategyNamesTheSteps(t *testing.T) {
	c, err := resolve(t, true, "", "--strategy", "canary", "--canary-percent", "20")
	if err != nil {
		t.Fatal(err)
	}
	p := env.Plan{Action: env.ActionRollout, Version: "v2", Steps: []string{"start", "wait", "drain"}}
	PlanStrategy(&p, c)
	text := strings.Join(p.Steps, "\n")
	if p.Strategy != rollout.Canary || len(p.Steps) != 6 || strings.Contains(text, "drain") ||
		!strings.Contains(text, "move 20 % of production traffic") || !strings.Contains(text, "move 100 % of production traffic") {
		t.Fatalf("canary plan %+v", p)
	}
	none := env.Plan{Action: env.ActionUnchanged, Reason: "nothing to deploy"}
	PlanStrategy(&none, c)
	if none.Strategy != "" || len(none.Steps) != 0 {
		t.Fatalf("a plan of nothing gained a strategy: %+v", none)
	}
}
