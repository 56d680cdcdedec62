package rollout

import "time"

// Defaults are a strategy's values before flags and empctl.yaml change them.
// AWS bakes in whole minutes (ECS's unit) long enough for alarms and metrics
// at one-minute granularity to see a problem; the local stack bakes for
// seconds so that anyone can watch a whole canary on `empctl up`.
func Defaults(local bool) Config {
	c := Config{
		Strategy:      Rolling,
		CanaryPercent: 10,
		StepPercent:   25,
		CanaryBake:    5 * time.Minute,
		StepBake:      2 * time.Minute,
		Bake:          5 * time.Minute,
		Gate:          GateConfig{TestDuration: 30 * time.Second, TestRequests: 300, MaxErrorRate: 0.001},
	}
	if local {
		c.CanaryBake, c.StepBake, c.Bake = 5*time.Second, 3*time.Second, 5*time.Second
		c.Gate.TestDuration = 5 * time.Second
	}
	return c
}
