package loadtest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/rollout"
)

// WriteText writes the report's compact text form, coloured by cs.
func WriteText(w io.Writer, cs *iostreams.ColorScheme, rep *Report) {
	verdict := cs.Green(strings.ToUpper(rep.Verdict))
	if rep.Verdict != VerdictPass {
		verdict = cs.Red(strings.ToUpper(rep.Verdict))
	}
	fmt.Fprintf(w, "Zero-downtime verification: %s\n", verdict)
	for _, r := range rep.Reasons {
		fmt.Fprintf(w, "  %s %s\n", cs.FailureIcon(), r)
	}
	fmt.Fprintf(w, "  %s at %s, %d requests/s for %s\n", rep.Env, rep.Endpoint, rep.Rate, rep.Ended.Sub(rep.Started).Round(100*time.Millisecond))
	fmt.Fprintf(w, "  mix: %s\n", strings.Join(rep.Targets, ", "))
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  skipped: %s\n", s)
	}
	if len(rep.Actions) == 0 && rep.Rollout != nil {
		ro := rep.Rollout
		fmt.Fprintf(w, "  rollout: %s → %s %s in %s\n", ro.PreviousVersion, ro.Version, ro.Outcome, ro.Duration().Round(100*time.Millisecond))
	}
	for _, a := range rep.Actions {
		fmt.Fprintf(w, "  %s\n", a.describe(rep.Started, cs))
		if a.Rollout != nil {
			for _, v := range a.Rollout.Verdicts {
				fmt.Fprintf(w, "    %s\n", describeVerdict(v))
			}
		}
	}
	fmt.Fprintf(w, "\nRequests  %d sent, %d succeeded, %s\n", rep.Requests, rep.Succeeded, failedCount(cs, rep.Failed))
	if len(rep.Failures) > 0 {
		kinds := make([]string, 0, len(rep.Failures))
		for k := range rep.Failures {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "  %-20s %d\n", k, rep.Failures[k])
		}
	}
	if wr := rep.Writes; wr != nil {
		lost := fmt.Sprintf("%d lost, %d duplicated", wr.Lost, wr.Duplicated)
		if wr.Lost+wr.Duplicated > 0 {
			lost = cs.Red(lost)
		}
		fmt.Fprintf(w, "Writes    %d acknowledged, %d verified, %s (marker %s)\n", wr.Acknowledged, wr.Verified, lost, wr.Marker)
		if len(wr.SignUps) > 0 {
			parts := make([]string, len(wr.SignUps))
			for i, p := range wr.SignUps {
				parts[i] = fmt.Sprintf("%s %d", p.Phase, p.Count)
			}
			fmt.Fprintf(w, "  sign-ups by phase: %s\n", strings.Join(parts, ", "))
		}
		for _, p := range wr.Problems {
			fmt.Fprintf(w, "  %s %s\n", cs.FailureIcon(), p)
		}
		if wr.Error != "" {
			fmt.Fprintf(w, "  %s audit: %s\n", cs.FailureIcon(), wr.Error)
		}
		// Short enough for 80 columns: report.html and --help say the rest.
		fmt.Fprintf(w, "Accounts  %d of %d test users locked (passwords discarded, sessions revoked)\n", wr.Locked, wr.Accounts)
	}
	fmt.Fprintf(w, "Versions  %s\n", formatCounts(rep.Versions))
	fmt.Fprintf(w, "At end    %s\n\n", formatCounts(rep.FinalVersions))

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Latency (ms)\trequests\tp50\tp95\tp99\tmax\t")
	for _, p := range []string{PhaseBefore, PhaseDuring, PhaseAfter, "all"} {
		if l, ok := rep.Latency[p]; ok {
			label := p + " rollout"
			if p == "all" {
				label = "whole run"
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", label, l.Requests, l.P50, l.P95, l.P99, l.Max)
		}
	}
	_ = tw.Flush()

	fmt.Fprintln(w, "\nTimeline (versions answering, by second)")
	for _, g := range groupTimeline(rep.Timeline) {
		if i := strings.Index(g, "  FAILED "); i >= 0 {
			g = g[:i+2] + cs.Red(g[i+2:])
		}
		fmt.Fprintf(w, "  %s\n", g)
	}
}

// failedCount is "n failed", red unless n is 0.
func failedCount(cs *iostreams.ColorScheme, n int) string {
	s := fmt.Sprintf("%d failed", n)
	if n > 0 {
		return cs.Red(s)
	}
	return s
}

// groupTimeline merges consecutive seconds of the same phase and versions
// with no failures into one line.
func groupTimeline(ts []Second) []string {
	var out []string
	for i := 0; i < len(ts); {
		j, req := i, 0
		key := timelineKey(ts[i])
		for j < len(ts) && timelineKey(ts[j]) == key && ts[j].Failed == 0 && ts[i].Failed == 0 {
			req += ts[j].Requests
			j++
		}
		if j == i { // a second with failures stands alone
			req, j = ts[i].Requests, i+1
		}
		span := fmt.Sprintf("%3ds", ts[i].Second)
		if j-1 > i {
			span = fmt.Sprintf("%3d-%ds", ts[i].Second, ts[j-1].Second)
		}
		line := fmt.Sprintf("%-9s %-6s %5d req  %s", span, ts[i].Phase, req, key[len(ts[i].Phase)+1:])
		if ts[i].Failed > 0 {
			line += fmt.Sprintf("  FAILED %d", ts[i].Failed)
		}
		out = append(out, line)
		i = j
	}
	return out
}

func timelineKey(s Second) string {
	vs := make([]string, 0, len(s.Versions))
	for v := range s.Versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return s.Phase + " " + strings.Join(vs, " + ")
}

func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "(none)"
	}
	keys := make([]string, 0, len(m))
	total := 0
	for k, n := range m {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d (%.1f%%)", k, m[k], 100*float64(m[k])/float64(total))
	}
	return strings.Join(parts, ", ")
}

// describe is the action's line in the text report, timed from the run's start.
func (a Action) describe(start time.Time, cs *iostreams.ColorScheme) string {
	at := a.Started.Sub(start).Round(100 * time.Millisecond)
	took := a.Finished.Sub(a.Started).Round(100 * time.Millisecond)
	switch {
	case a.Error != "":
		return fmt.Sprintf("%s at %s: %s after %s: %s", a.Kind, at, cs.State("failed"), took, a.Error)
	case a.Kind == ActionKill:
		return fmt.Sprintf("kill at %s: %s killed without warning", at, a.Target)
	case a.Rollout != nil:
		how := ""
		if s := a.Rollout.Strategy; s != "" {
			how = " (" + string(s) + ")"
		}
		return fmt.Sprintf("%s%s at %s: %s → %s %s in %s", a.Kind, how, at, a.Rollout.PreviousVersion, a.Rollout.Version, cs.State(a.Rollout.Outcome), took)
	}
	return fmt.Sprintf("%s at %s", a.Kind, at)
}

// describeVerdict is a gate's decision in the text report.
func describeVerdict(v rollout.Verdict) string {
	what := "roll back"
	if v.Promote {
		what = "promote"
	}
	where := string(v.Stage)
	if v.Step > 0 {
		where = fmt.Sprintf("%s %d", v.Stage, v.Step)
	}
	return fmt.Sprintf("gate at %s: %s: %s", where, what, v.Reason)
}
