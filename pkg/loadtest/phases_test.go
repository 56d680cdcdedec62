package loadtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// The latency table and the timeline count the same requests for each phase,
// also when phase boundaries fall inside a second (two rollouts, one right
// after the other, as verify runs them), in the report and in its text.
func TestLatencyTableAndTimelineCountTheSameRequests(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	rs := &Results{Started: t0, Ended: at(8000), Rate: 50,
		marks: []mark{{t0, PhaseBefore}, {at(2300), PhaseDuring}, {at(4700), PhaseAfter}, {at(4750), PhaseDuring}, {at(6400), PhaseAfter}}}
	for ms := 0; ms < 8000; ms += 20 {
		rs.hits = append(rs.hits, hit{at: at(ms), code: 200, version: "v1", latency: time.Duration(ms%7+1) * time.Millisecond})
	}
	rep := rs.Build(Info{Env: "test", Rollout: &env.Rollout{Version: "v1", Outcome: env.OutcomeCompleted}})

	timeline := map[string]int{}
	for _, s := range rep.Timeline {
		timeline[s.Phase] += s.Requests
	}
	total := 0
	for _, p := range []string{PhaseBefore, PhaseDuring, PhaseAfter} {
		if rep.Latency[p].Requests == 0 || timeline[p] != rep.Latency[p].Requests {
			t.Errorf("phase %s: latency table %d requests, timeline %d", p, rep.Latency[p].Requests, timeline[p])
		}
		total += timeline[p]
	}
	if total != rep.Requests || rep.Latency["all"].Requests != rep.Requests {
		t.Errorf("timeline %d, whole run %d, requests %d", total, rep.Latency["all"].Requests, rep.Requests)
	}

	// The same sums from the text a user reads.
	var sb strings.Builder
	WriteText(&sb, iostreams.NewColorScheme(false), rep)
	text := sb.String()
	line := regexp.MustCompile(`(?m)^\s+\d+(?:-\d+)?s\s+(\w+)\s+(\d+) req`)
	read := map[string]int{}
	for _, m := range line.FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[2])
		read[m[1]] += n
	}
	for _, p := range []string{PhaseBefore, PhaseDuring, PhaseAfter} {
		label := p + " rollout"
		row := regexp.MustCompile(`(?m)^\s*` + label + `\s+(\d+)\s`).FindStringSubmatch(text)
		if row == nil || row[1] != fmt.Sprint(read[p]) {
			t.Errorf("phase %s: the latency table says %v, the timeline lines add up to %d:\n%s", p, row, read[p], text)
		}
	}
}
