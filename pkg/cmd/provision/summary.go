package provision

import (
	"fmt"
	"io"
	"strings"

	"github.com/empctl/empctl/pkg/tf"
)

// WriteSummary prints what a plan would do, every replacement on the request
// path (requests can fail meanwhile) and, loudly, every stateful resource
// whose data it would destroy.
func WriteSummary(w io.Writer, env string, s tf.Summary) {
	switch {
	case len(s.Changes) > 0:
		fmt.Fprintf(w, "Plan for %s: %d to add, %d to change, %d to destroy.\n", env, s.Add, s.Change, s.Destroy)
	case s.OutputsChanged:
		fmt.Fprintf(w, "Plan for %s: only outputs change.\n", env)
	default:
		fmt.Fprintf(w, "Plan for %s: no changes; the infrastructure matches the configuration.\n", env)
	}
	writeInterruptions(w, s)
	WriteDataLossWarning(w, s)
}

// writeInterruptions names the replaced parts of the request path: until the
// new one serves (a new target group, until the service's tasks register and
// pass their health checks), the API can answer errors.
func writeInterruptions(w io.Writer, s tf.Summary) {
	if len(s.Interruptions) == 0 {
		return
	}
	fmt.Fprintln(w, "Replaced on the request path; the API can answer errors until the new one serves:")
	for _, c := range s.Interruptions {
		order := "destroyed, then created"
		if c.CreateFirst {
			order = "new one created first, old one destroyed after"
		}
		fmt.Fprintf(w, "  %s (%s): %s\n", c.Address, c.Serves, order)
	}
}

// WriteDataLossWarning prints the stateful resources a plan destroys, if any.
func WriteDataLossWarning(w io.Writer, s tf.Summary) {
	if len(s.DataLoss) == 0 {
		return
	}
	bar := strings.Repeat("!", 72)
	fmt.Fprintln(w, bar)
	fmt.Fprintln(w, "!! WARNING: this plan DESTROYS stateful resources; their data is lost unless backed up:")
	for _, c := range s.DataLoss {
		verb := "destroyed"
		if c.Action == "replace" {
			verb = "destroyed and recreated empty"
		}
		fmt.Fprintf(w, "!!   %s (%s) will be %s\n", c.Address, c.Kind, verb)
	}
	fmt.Fprintln(w, bar)
}
