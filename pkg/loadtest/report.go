package loadtest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/empctl/empctl/pkg/env"
)

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Report is the outcome of a zero-downtime verification.
type Report struct {
	Verdict  string    `json:"verdict"`
	Reasons  []string  `json:"reasons,omitempty"`
	Env      string    `json:"env"`
	Endpoint string    `json:"endpoint"`
	Rate     int       `json:"rate"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended"`
	// Targets is the request mix; Skipped says which targets were left out and why.
	Targets []string `json:"targets"`
	Skipped []string `json:"skipped,omitempty"`

	Requests  int `json:"requests"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Failures counts failed requests by kind: "connection refused",
	// "connection reset", "timeout", "HTTP 502", ...
	Failures map[string]int `json:"failures"`
	// Versions counts the API requests each version (X-App-Version) answered.
	Versions map[string]int `json:"versions"`
	// FinalVersions counts the versions that answered during the last second.
	FinalVersions map[string]int `json:"finalVersions"`
	// ExpectedVersion is the version the rollout deployed.
	ExpectedVersion string `json:"expectedVersion,omitempty"`

	Latency  map[string]Latency `json:"latency"`
	Timeline []Second           `json:"timeline"`
	// Rollout is the last rollout or rollback: its version must answer at the end.
	Rollout *env.Rollout `json:"rollout,omitempty"`
	// Actions are the rollouts, rollbacks and kills done under the load, in order.
	Actions []Action `json:"actions,omitempty"`
	// Writes is the audit of the writes in the mix.
	Writes *Writes `json:"writes,omitempty"`
	// Weights is the production weight on the new version over the run, as
	// progressive rollouts reported it (none for rolling ones).
	Weights []WeightPoint `json:"weights,omitempty"`
}

// WeightPoint is a progressive rollout's production weight on its new
// version from Time on.
type WeightPoint struct {
	Time    time.Time `json:"time"`
	Weight  float64   `json:"weight"`
	Stage   string    `json:"stage"`
	Version string    `json:"version,omitempty"`
}

// Kinds of action.
const (
	ActionRollout  = "rollout"
	ActionRollback = "rollback"
	ActionKill     = "kill"
)

// Action is one change made under the load.
type Action struct {
	Kind     string    `json:"kind"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Rollout is a rollout's or rollback's outcome.
	Rollout *env.Rollout `json:"rollout,omitempty"`
	// Target is the target a kill stopped.
	Target string `json:"target,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Writes is the audit of the writes the load made: every acknowledged write
// must be stored with its value, once.
type Writes struct {
	// Marker prefixes every e-mail and name the writes created, so that
	// what a verification left behind can be found.
	Marker       string `json:"marker"`
	Acknowledged int    `json:"acknowledged"`
	Verified     int    `json:"verified"`
	Lost         int    `json:"lost"`
	Duplicated   int    `json:"duplicated"`
	// Problems names the first lost or duplicated writes.
	Problems []string `json:"problems,omitempty"`
	// Error says why the audit could not finish.
	Error string `json:"error,omitempty"`
	// Accounts is how many users the run created; Locked how many of them
	// were locked afterwards (a discarded random password, sessions revoked).
	Accounts int `json:"accounts"`
	Locked   int `json:"locked"`
	// SignUps is how many sign-ups the load sent in each phase of the run
	// (warm-up, each rollout, the kill, the rollback, cool-down), in order.
	SignUps []PhaseCount `json:"signUpsByPhase,omitempty"`
}

// PhaseCount is how many of something a phase of the run had.
type PhaseCount struct {
	Phase string `json:"phase"`
	Count int    `json:"count"`
}

// Info is what a report says besides the requests.
type Info struct {
	Env, Endpoint    string
	Rollout          *env.Rollout
	Actions          []Action
	Writes           *Writes
	Targets, Skipped []string
	Weights          []WeightPoint
}

// Latency summarises a phase's latencies in milliseconds.
type Latency struct {
	Requests int     `json:"requests"`
	P50      float64 `json:"p50Ms"`
	P95      float64 `json:"p95Ms"`
	P99      float64 `json:"p99Ms"`
	Max      float64 `json:"maxMs"`
}

// Second is one second of the timeline in one phase: a second in which a
// phase ends and another begins has an entry for each, in that order.
type Second struct {
	Second   int            `json:"second"`
	Phase    string         `json:"phase"`
	Requests int            `json:"requests"`
	Failed   int            `json:"failed"`
	Versions map[string]int `json:"versions"`
	P50      float64        `json:"p50Ms"`
	P99      float64        `json:"p99Ms"`
}

// Build computes the report. The version in.Rollout deployed must answer
// every API request at the end; without a completed rollout the verdict fails.
func (rs *Results) Build(in Info) *Report {
	ro := in.Rollout
	rep := &Report{Env: in.Env, Endpoint: in.Endpoint, Rate: rs.Rate, Started: rs.Started, Ended: rs.Ended, Targets: in.Targets, Skipped: in.Skipped,
		Failures: map[string]int{}, Versions: map[string]int{}, FinalVersions: map[string]int{}, Latency: map[string]Latency{}, Rollout: ro, Timeline: []Second{},
		Actions: in.Actions, Writes: in.Writes, Weights: in.Weights}
	if ro != nil && ro.Outcome == env.OutcomeCompleted {
		rep.ExpectedVersion = ro.Version
	}
	byPhase := map[string][]time.Duration{}
	var all []time.Duration
	// The timeline counts each request in its second and in the phase it was
	// sent in, as the latency table does: a second that a phase boundary
	// crosses has one entry per phase, so both count the same requests for
	// each phase.
	type slot struct {
		second int
		phase  string
	}
	secs := map[slot]*Second{}
	secLat := map[slot][]time.Duration{}
	first := map[slot]time.Time{}
	var last time.Time
	for _, h := range rs.hits {
		if h.at.After(last) {
			last = h.at
		}
	}
	for _, h := range rs.hits {
		rep.Requests++
		phase := rs.phaseAt(h.at)
		byPhase[phase] = append(byPhase[phase], h.latency)
		all = append(all, h.latency)
		k := slot{int(h.at.Sub(rs.Started) / time.Second), phase}
		s := secs[k]
		if s == nil {
			s = &Second{Second: k.second, Phase: phase, Versions: map[string]int{}}
			secs[k] = s
		}
		if f, ok := first[k]; !ok || h.at.Before(f) {
			first[k] = h.at
		}
		s.Requests++
		secLat[k] = append(secLat[k], h.latency)
		if kind := failureKind(h); kind != "" {
			rep.Failed++
			rep.Failures[kind]++
			s.Failed++
			continue
		}
		rep.Succeeded++
		if h.version != "" {
			rep.Versions[h.version]++
			s.Versions[h.version]++
			if last.Sub(h.at) < time.Second {
				rep.FinalVersions[h.version]++
			}
		}
	}
	for _, p := range []string{PhaseBefore, PhaseDuring, PhaseAfter} {
		if l, ok := byPhase[p]; ok {
			rep.Latency[p] = summarise(l)
		}
	}
	rep.Latency["all"] = summarise(all)
	keys := make([]slot, 0, len(secs))
	for k := range secs {
		keys = append(keys, k)
	}
	// By second, and within a second in the order its phases began.
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].second != keys[j].second {
			return keys[i].second < keys[j].second
		}
		return first[keys[i]].Before(first[keys[j]])
	})
	for _, k := range keys {
		s := secs[k]
		l := summarise(secLat[k])
		s.P50, s.P99 = l.P50, l.P99
		rep.Timeline = append(rep.Timeline, *s)
	}
	rep.judge()
	return rep
}

// judge passes the report only with zero failed requests, a completed
// rollout, and the new version answering every API request at the end.
func (rep *Report) judge() {
	if rep.Requests == 0 {
		rep.Reasons = append(rep.Reasons, "no request was sent")
	}
	if rep.Failed > 0 {
		rep.Reasons = append(rep.Reasons, fmt.Sprintf("%d of %d requests failed", rep.Failed, rep.Requests))
	}
	switch {
	case rep.Rollout == nil:
		rep.Reasons = append(rep.Reasons, "no rollout ran")
	case rep.Rollout.Outcome != env.OutcomeCompleted:
		rep.Reasons = append(rep.Reasons, "the rollout failed: "+rep.Rollout.Reason)
	default:
		total, other := 0, []string{}
		for v, n := range rep.FinalVersions {
			total += n
			if v != rep.ExpectedVersion {
				other = append(other, fmt.Sprintf("%s (%d)", v, n))
			}
		}
		switch {
		case total == 0:
			rep.Reasons = append(rep.Reasons, "no API answer in the last second to check the version")
		case len(other) > 0:
			sort.Strings(other)
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("in the last second %s did not answer everything: also %s", rep.ExpectedVersion, strings.Join(other, ", ")))
		}
	}
	for _, a := range rep.Actions {
		switch {
		case a.Error != "":
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("the %s failed: %s", a.Kind, a.Error))
		case a.Rollout != nil && a.Rollout.Outcome != env.OutcomeCompleted && a.Rollout != rep.Rollout:
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("the %s to %s failed: %s", a.Kind, a.Rollout.Version, a.Rollout.Reason))
		}
	}
	if w := rep.Writes; w != nil {
		switch {
		case w.Error != "":
			rep.Reasons = append(rep.Reasons, "the write audit did not finish: "+w.Error)
		case w.Lost > 0 || w.Duplicated > 0:
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("of %d acknowledged writes %d were lost and %d duplicated", w.Acknowledged, w.Lost, w.Duplicated))
		}
	}
	rep.Verdict = VerdictPass
	if len(rep.Reasons) > 0 {
		rep.Verdict = VerdictFail
	}
}

// failureKind classifies a failed request, or returns "" for a success.
func failureKind(h hit) string {
	switch {
	case h.code >= 400:
		return fmt.Sprintf("HTTP %d", h.code)
	case h.code >= 200 && h.err == "":
		return ""
	}
	e := strings.ToLower(h.err)
	switch {
	case strings.Contains(e, "connection refused"):
		return "connection refused"
	case strings.Contains(e, "connection reset"), strings.Contains(e, "broken pipe"), strings.Contains(e, "eof"):
		return "connection reset"
	case strings.Contains(e, "timeout"), strings.Contains(e, "deadline exceeded"):
		return "timeout"
	case h.code > 0:
		return fmt.Sprintf("HTTP %d", h.code)
	}
	return "other error"
}

func summarise(l []time.Duration) Latency {
	if len(l) == 0 {
		return Latency{}
	}
	s := append([]time.Duration(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) float64 {
		i := int(float64(len(s)-1) * p)
		return ms(s[i])
	}
	return Latency{Requests: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
