// Package shared holds what the deploy, rollback and verify commands share:
// printing rollout progress and mapping outcomes to exit codes.
package shared

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// PrintRollout prints a rollout's outcome and, for a failed one, the failing
// replica's last log lines.
func PrintRollout(w io.Writer, cs *iostreams.ColorScheme, ro env.Rollout) {
	switch ro.Outcome {
	case env.OutcomeCompleted:
		fmt.Fprintf(w, "%s %s is serving (was %s); rollout took %s\n", cs.SuccessIcon(), ro.Version, ro.PreviousVersion, ro.Duration().Round(100*time.Millisecond))
	case env.OutcomeFailed:
		fmt.Fprintf(w, "%s rollout of %s %s: %s\n  %s keeps serving.\n", cs.FailureIcon(), ro.Version, cs.State("failed"), ro.Reason, ro.PreviousVersion)
		if len(ro.Logs) > 0 {
			fmt.Fprintf(w, "  last log lines of %s:\n    %s\n", ro.FailedTarget, strings.Join(ro.Logs, "\n    "))
		}
	}
	// A progressive rollout's gate decisions, the last being the one that
	// promoted or rolled back.
	for _, v := range ro.Verdicts {
		decision := cs.Green("promote")
		if !v.Promote {
			decision = cs.Red("roll back")
		}
		fmt.Fprintf(w, "  gate at %s", v.Stage)
		if v.Step > 0 {
			fmt.Fprintf(w, " (step %d)", v.Step)
		}
		fmt.Fprintf(w, ": %s: %s\n", decision, v.Reason)
	}
}

// FinishRollout prints the rollout that ran, if any, on ios.Out (as JSON
// with jsonOut), and returns the command's error: a rollout the circuit
// breaker failed exits with the verdict code (3), a cancelled one with 130,
// any other error with 1.
func FinishRollout(ios *iostreams.IOStreams, jsonOut bool, ro env.Rollout, err error) error {
	if ro.Outcome != "" {
		if jsonOut {
			if jerr := cmdutil.PrintJSON(ios.Out, ro); jerr != nil {
				return jerr
			}
		} else {
			PrintRollout(ios.Out, ios.ColorScheme(), ro)
		}
	}
	switch {
	case errors.Is(err, env.ErrRolloutFailed):
		return cmdutil.VerdictFailed(err)
	case errors.Is(err, context.Canceled):
		return &cmdutil.ExitCodeError{Code: cmdutil.ExitCancel, Err: err}
	}
	return err
}

// AddWatchFlags adds the flags that tune how a rollout is watched.
func AddWatchFlags(cmd *cobra.Command, o *env.DeployOptions) {
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 20*time.Minute, "give up on the rollout after this long and roll back (AWS)")
	cmd.Flags().DurationVar(&o.PollInterval, "poll-interval", 5*time.Second, "how often to read the rollout's state (AWS)")
	cmd.Flags().BoolVar(&o.NoRollback, "no-rollback", false, "on timeout, leave the rollout running instead of rolling back (AWS)")
}

// PrintFrontendJSON prints a webapp publish's or rollback's result; with an
// error beside a release (it went live, a later step such as the CloudFront
// invalidation failed) the error goes into the object too, and is returned.
func PrintFrontendJSON(out io.Writer, info env.Frontend, err error) error {
	if err == nil {
		return cmdutil.PrintJSON(out, info)
	}
	if perr := cmdutil.PrintJSON(out, struct {
		env.Frontend
		Error string `json:"error"`
	}{info, err.Error()}); perr != nil {
		return perr
	}
	return err
}
