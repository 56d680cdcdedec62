package loadtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/rollout"
)

// A progressive rollout's strategy and the gate's verdicts are in the text
// report, and the HTML chart plots the production weight on the new version.
func TestProgressiveRolloutInTheReport(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	rs := &Results{Started: t0, Ended: at(10), Rate: 1, hits: []hit{{at: at(1), code: 200, version: "v1"}, {at: at(9), code: 200, version: "v2"}}}
	ro := &env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Started: at(1), Finished: at(8), Strategy: rollout.Canary,
		Verdicts: []rollout.Verdict{
			{Promote: true, Stage: rollout.StageTestTraffic, Reason: "150 test requests, 0 failed"},
			{Promote: true, Stage: rollout.StageProductionShift, Step: 1, Reason: "step 1: new version 12 requests, 0 failed"},
		}}
	rep := rs.Build(Info{Env: "local", Rollout: ro, Actions: []Action{{Kind: ActionRollout, Started: at(1), Finished: at(8), Rollout: ro}},
		Weights: []WeightPoint{{Time: at(2), Weight: 0, Stage: "test-traffic"}, {Time: at(4), Weight: 10, Stage: "production-shift"}, {Time: at(6), Weight: 100, Stage: "bake"}}})

	var sb strings.Builder
	WriteText(&sb, iostreams.NewColorScheme(false), rep)
	for _, want := range []string{"rollout (canary) at 1s: v1 → v2 completed", "gate at test-traffic: promote: 150 test requests", "gate at production-shift 1: promote: step 1:"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, sb.String())
		}
	}
	c := buildChart(rep)
	// 10 seconds over the plot's width; full height is 100 %.
	bw, h := c.PlotW/10, c.PlotH
	want := strings.Join([]string{
		"M" + f(2*bw) + "," + f(h),
		"H" + f(4*bw) + " V" + f(h-h*0.1),
		"H" + f(6*bw) + " V" + f(0),
		"H" + f(10*bw),
	}, " ")
	if c.WeightPath != want {
		t.Fatalf("weight path %q, want %q", c.WeightPath, want)
	}
	if !strings.Contains(legendLabels(c), "production weight") {
		t.Fatalf("no legend for the weight: %v", c.Legend)
	}
}

func f(v float64) string { return fmt.Sprintf("%.1f", v) }

func legendLabels(c chartData) string {
	var s []string
	for _, l := range c.Legend {
		s = append(s, l.Label)
	}
	return strings.Join(s, ";")
}
