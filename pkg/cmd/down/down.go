// Package down implements `empctl down`.
package down

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/resolve"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local/control"
)

type Options struct {
	IO       *iostreams.IOStreams
	EnvName  string
	StateDir string
	Timeout  time.Duration
}

func NewCmdDown(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the local environment started by `empctl up`",
		Long: `Stop the local environment that ` + "`empctl up`" + ` runs: the load balancer stops
taking requests, then every replica gets SIGTERM (SIGKILL after its stop
timeout). It succeeds when nothing is running, too.`,
		Example: `  empctl down
  empctl down --timeout 2m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.EnvName, opts.StateDir = f.Global.Env, resolve.LocalStateDir(f.Global.Dir)
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "how long to wait for the replicas to stop")
	return cmd
}

func Run(ctx context.Context, opts *Options) error {
	if opts.EnvName != resolve.Local {
		return cmdutil.FlagErrorf("`empctl down` stops the local environment only, not %q", opts.EnvName)
	}
	c := control.NewClient(opts.StateDir)
	if err := c.Down(ctx); err != nil {
		if errors.Is(err, env.ErrNotRunning) {
			// Stopping what is stopped succeeds, so scripts can always clean up.
			fmt.Fprintln(opts.IO.ErrOut, "The local environment is not running: nothing to stop.")
			return nil
		}
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "Stopping the local environment...")
	deadline := time.Now().Add(opts.Timeout)
	for time.Now().Before(deadline) {
		if _, err := c.Status(ctx); errors.Is(err, env.ErrNotRunning) {
			fmt.Fprintln(opts.IO.Out, opts.IO.ColorScheme().SuccessIcon()+" local environment stopped")
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("the local environment did not stop within %s; see .empctl/local/logs", opts.Timeout)
}
