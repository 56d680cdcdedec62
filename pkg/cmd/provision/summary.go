package provision

import (
	"fmt"
	"io"
	"strings"

	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/tf"
)

// WriteSummary prints what a plan would do, every replacement on the request
// path (requests can fail meanwhile) and, loudly, every stateful resource
// whose data it would destroy.
func WriteSummary(w io.Writer, cs *iostreams.ColorScheme, env string, s tf.Summary) {
	switch {
	case len(s.Changes) > 0:
		destroy := fmt.Sprintf("%d to destroy", s.Destroy)
		if s.Destroy > 0 {
			destroy = cs.Red(destroy)
		}
		fmt.Fprintf(w, "Plan for %s: %s, %s, %s.\n", env, cs.Green(fmt.Sprintf("%d to add", s.Add)), cs.Yellow(fmt.Sprintf("%d to change", s.Change)), destroy)
	case s.OutputsChanged:
		fmt.Fprintf(w, "Plan for %s: only outputs change.\n", env)
	default:
		fmt.Fprintf(w, "Plan for %s: no changes; the infrastructure matches the configuration.\n", env)
	}
	writeInterruptions(w, cs, s)
	WriteDataLossWarning(w, cs, s)
}

// writeInterruptions names the replaced parts of the request path: until the
// new one serves (a new target group, until the service's tasks register and
// pass their health checks), the API can answer errors.
func writeInterruptions(w io.Writer, cs *iostreams.ColorScheme, s tf.Summary) {
	if len(s.Interruptions) == 0 {
		return
	}
	fmt.Fprintln(w, cs.Yellow("Replaced on the request path; the API can answer errors until the new one serves:"))
	for _, c := range s.Interruptions {
		order := "destroyed, then created"
		if c.CreateFirst {
			order = "new one created first, old one destroyed after"
		}
		fmt.Fprintf(w, "  %s (%s): %s\n", c.Address, c.Serves, order)
	}
}

// WriteDataLossWarning prints the stateful resources a plan destroys, if any.
func WriteDataLossWarning(w io.Writer, cs *iostreams.ColorScheme, s tf.Summary) {
	if len(s.DataLoss) == 0 {
		return
	}
	bar := cs.Red(strings.Repeat("!", 72))
	fmt.Fprintln(w, bar)
	fmt.Fprintln(w, cs.Red("!! WARNING: this plan DESTROYS stateful resources; their data is lost unless backed up:"))
	for _, c := range s.DataLoss {
		verb := "destroyed"
		if c.Action == "replace" {
			verb = "destroyed and recreated empty"
		}
		fmt.Fprintln(w, cs.Red(fmt.Sprintf("!!   %s (%s) will be %s", c.Address, c.Kind, verb)))
	}
	fmt.Fprintln(w, bar)
}
