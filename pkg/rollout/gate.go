package rollout

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// GateConfig sizes the gate: the test load sent through the test route before
// any production traffic moves, and the error rate a new version may show
// while production traffic shifts to it.
type GateConfig struct {
	// TestDuration and TestRequests bound the test load: it runs for
	// TestDuration or until TestRequests were sent, whichever comes last.
	TestDuration time.Duration `json:"testDuration"`
	TestRequests int           `json:"testRequests"`
	// MaxErrorRate is the highest share (0–1) of the new version's
	// production requests that may fail; never more than the old version's
	// own rate during the same step.
	MaxErrorRate float64 `json:"maxErrorRate"`
}

// Validate checks the gate's values.
func (g GateConfig) Validate() error {
	if g.TestDuration < 0 {
		return &RangeError{"gate-duration", fmt.Sprintf("--gate-duration %s is negative", g.TestDuration)}
	}
	if g.TestRequests < 0 {
		return &RangeError{"gate-requests", fmt.Sprintf("--gate-requests %d is negative", g.TestRequests)}
	}
	if g.MaxErrorRate < 0 || g.MaxErrorRate > 1 {
		return &RangeError{"max-error-rate", fmt.Sprintf("--max-error-rate %g is out of range: 0 to 1 (0.001 is 0.1 %%)", g.MaxErrorRate)}
	}
	return nil
}

// TestRoute is how requests reach only the new version before it takes any
// production traffic: the public entry point with a header that the load
// balancer's test rule matches (locally, the balancer's own test route).
type TestRoute struct {
	BaseURL string
	Header  http.Header
}

// Counts are what one version's side answered, cumulatively since the
// deployment began: all requests, and those that failed on the server's or
// the load balancer's side (5xx).
type Counts struct {
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
}

// Rate is the share of requests that failed; 0 without requests.
func (c Counts) Rate() float64 {
	if c.Requests == 0 {
		return 0
	}
	return float64(c.Errors) / float64(c.Requests)
}

// Sub is the counts between an earlier reading and c.
func (c Counts) Sub(earlier Counts) Counts {
	return Counts{Requests: c.Requests - earlier.Requests, Errors: c.Errors - earlier.Errors}
}

// Traffic reads each version's counts where production traffic is split:
// the local balancer's per-group counters, or CloudWatch's per-target-group
// ALB metrics on AWS.
type Traffic interface {
	Counts(ctx context.Context) (old, new Counts, err error)
}

// Stage names where a progressive rollout is, as progress and status show it.
type Stage string

// The stages, in the order a rollout passes them (ECS lifecycle stages in
// comments).
const (
	StageScaleUp         Stage = "scale-up"         // PRE_SCALE_UP … POST_SCALE_UP
	StageTestTraffic     Stage = "test-traffic"     // TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT
	StageProductionShift Stage = "production-shift" // PRODUCTION_TRAFFIC_SHIFT (once per step)
	StageBake            Stage = "bake"             // POST_PRODUCTION_TRAFFIC_SHIFT, bake time
	StageDone            Stage = "done"
)

// State is a progressive rollout's position, carried by progress events and
// shown by status.
type State struct {
	Strategy Strategy `json:"strategy"`
	Stage    Stage    `json:"stage"`
	// Step and Steps count production shifts (1-based; 0 before the first).
	Step  int `json:"step"`
	Steps int `json:"steps"`
	// Weight is the percentage of production traffic on the new version.
	Weight float64 `json:"weight"`
	// Hook is the state of the lifecycle hook holding the rollout (AWS:
	// AWAITING_ACTION at a PAUSE hook), when one does.
	Hook string `json:"hook,omitempty"`
	// BakeEnds is when the current bake ends, during one.
	BakeEnds time.Time `json:"bakeEnds,omitzero"`
	// Old and New are the versions' counts during the current step.
	Old *Counts `json:"old,omitempty"`
	New *Counts `json:"new,omitempty"`
}

// Verdict is what the gate decided at one stage.
type Verdict struct {
	Promote bool   `json:"promote"`
	Stage   Stage  `json:"stage"`
	Step    int    `json:"step,omitempty"`
	Reason  string `json:"reason"`
	// Requests and Failed count the gate's own requests at this stage;
	// Writes and Lost the writes it had acknowledged and those the audit
	// could not find.
	Requests int `json:"requests"`
	Failed   int `json:"failed"`
	Writes   int `json:"writes,omitempty"`
	Lost     int `json:"lost,omitempty"`
	// Old and New are the production counts the decision read.
	Old *Counts `json:"old,omitempty"`
	New *Counts `json:"new,omitempty"`
}

// Gate decides whether a new version may take (more) production traffic. A
// rollout calls Test once, before the first production shift, and Watch for
// each step's bake (the last step's being the final bake). Either returning a
// verdict without Promote, or an error, rolls the deployment back: nothing
// promotes a version no check vouched for.
type Gate interface {
	// Test sends the verification load through route only and audits every
	// write it acknowledged.
	Test(ctx context.Context, route TestRoute, progress func(msg string)) (Verdict, error)
	// Watch keeps a probe load on the public endpoint for d while reading
	// traffic, and fails as soon as the new version fails more than the
	// configured rate (or more than the old version does) or the probe sees
	// a failed request.
	Watch(ctx context.Context, endpoint string, traffic Traffic, step int, d time.Duration, progress func(msg string)) (Verdict, error)
}
