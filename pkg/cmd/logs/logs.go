// Package logs implements `empctl logs`.
package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
	Env  func() (env.Environment, error)
	// Now is the clock --since counts back from.
	Now func() time.Time

	Since  string
	Follow bool
	Target string
}

func NewCmdLogs(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show the replicas' logs, merged in time order",
		Long: `Show what the API server's replicas logged, every line in time order and
prefixed with the replica (locally) or ECS task (on AWS) that wrote it.

Locally the lines come from the replicas' log files in .empctl/local/logs/,
stopped replicas' included. On AWS they come from the service's CloudWatch
Logs group (FilterLogEvents); --follow asks for new events every 2 seconds.

--since takes a duration back from now (10m, 2h) or a time (RFC 3339); 0
means everything there is. --follow keeps printing new lines until Ctrl-C,
which exits 0. With --output json each line is a JSON object on a line of
its own: {"time", "target", "message"}.`,
		Example: `  empctl logs
  empctl logs --follow
  empctl logs --since 1h --target local-3f2a1b
  empctl logs --env prod --since 30m
  empctl logs --env prod -o json | jq -r 'select(.message | contains("ERROR")) | .target'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	cmd.Flags().StringVar(&opts.Since, "since", "10m", "oldest lines to show: a duration back from now (10m, 2h), a time (RFC 3339), or 0 for all")
	cmd.Flags().StringVarP(&opts.Target, "target", "t", "", "only this replica's or task's lines (IDs as `empctl status` lists them)")
	_ = cmd.RegisterFlagCompletionFunc("target", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return targets(c.Context(), opts), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// targets are the IDs of the environment's serving targets, for completion.
func targets(ctx context.Context, opts *Options) []string {
	e, err := opts.Env()
	if err != nil {
		return nil
	}
	st, err := e.Status(ctx)
	if err != nil {
		return nil
	}
	ids := make([]string, 0, len(st.Targets))
	for _, t := range st.Targets {
		ids = append(ids, t.ID)
	}
	return ids
}

// parseSince reads --since.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "0" || s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, cmdutil.FlagErrorf("--since %q is neither a duration (10m, 2h) nor a time (2026-12-06T20:00:00Z); 0 shows everything", s)
}

func Run(ctx context.Context, opts *Options) error {
	since, err := parseSince(opts.Since, opts.Now())
	if err != nil {
		return err
	}
	e, err := opts.Env()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(opts.IO.Out)
	var writeErr error
	n := 0
	emit := func(l env.LogLine) {
		if writeErr != nil {
			return
		}
		n++
		if opts.JSON {
			writeErr = enc.Encode(l)
			return
		}
		_, writeErr = fmt.Fprintf(opts.IO.Out, "%s | %s\n", l.Target, strings.TrimRight(l.Message, "\n"))
	}
	err = e.Logs(ctx, env.LogOptions{Since: since, Follow: opts.Follow, Target: opts.Target}, emit)
	if writeErr != nil {
		return fmt.Errorf("writing the log lines: %w", writeErr)
	}
	if opts.Follow && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil // Ctrl-C is how a follow ends
	}
	if err == nil && n == 0 && !opts.Follow && !since.IsZero() {
		fmt.Fprintf(opts.IO.ErrOut, "No log lines since %s; --since 0 shows them all.\n", since.Local().Format(time.DateTime))
	}
	return err
}
