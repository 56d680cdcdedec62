package rollout

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStepsPerStrategy(t *testing.T) {
	c := Defaults(false)
	cases := map[Strategy][]Step{
		Rolling:   nil,
		BlueGreen: {{100, c.Bake}},
		Canary:    {{10, c.CanaryBake}, {100, c.Bake}},
		Linear:    {{25, c.StepBake}, {50, c.StepBake}, {75, c.StepBake}, {100, c.Bake}},
	}
	for s, want := range cases {
		c.Strategy = s
		if got := c.Steps(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: steps %v, want %v", s, got, want)
		}
	}
}

func TestValidateNamesTheRange(t *testing.T) {
	for _, tc := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Strategy = "blue" }, "rolling, blue-green, canary, linear"},
		{func(c *Config) { c.Strategy, c.CanaryPercent = Canary, 0.05 }, "0.1 to 100"},
		{func(c *Config) { c.Strategy, c.StepPercent = Linear, 2 }, "3 to 100"},
		{func(c *Config) { c.Bake = 1441 * time.Minute }, "0 to 1440 minutes"},
		{func(c *Config) { c.Gate.MaxErrorRate = 2 }, "0 to 1"},
	} {
		c := Defaults(true)
		tc.mut(&c)
		err := c.Validate()
		var re *RangeError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want a RangeError naming %q", err, tc.want)
		}
	}
	for _, s := range Strategies {
		c := Defaults(false)
		c.Strategy = s
		if err := c.Validate(); err != nil {
			t.Errorf("defaults with %s: %v", s, err)
		}
	}
}
