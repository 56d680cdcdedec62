// Package status implements `empctl status`.
package status

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
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
}

func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	return &cobra.Command{
		Use:   "status",
		Short: "Show the environment's replicas, versions and health",
		Example: `  empctl status
  empctl status --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

func Run(ctx context.Context, opts *Options) error {
	e, err := opts.Env()
	if err != nil {
		return err
	}
	st, err := e.Status(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, st)
	}
	Print(opts.IO.Out, st)
	return nil
}

// Print writes the status as a short text table.
func Print(w io.Writer, st env.Status) {
	fmt.Fprintf(w, "Environment %s at %s\n", st.Env, st.Endpoint)
	fmt.Fprintf(w, "Version     %s", st.Version)
	if st.PreviousVersion != "" {
		fmt.Fprintf(w, " (previous: %s)", st.PreviousVersion)
	}
	if st.Deploying {
		fmt.Fprint(w, "  [rollout in progress]")
	}
	fmt.Fprintln(w)
	if st.Frontend != nil {
		fmt.Fprintf(w, "Webapp      release %s (%d files)\n", st.Frontend.Release, st.Frontend.Files)
	} else {
		fmt.Fprintln(w, "Webapp      none published (API only)")
	}
	healthy := 0
	for _, t := range st.Targets {
		if t.Health == "healthy" {
			healthy++
		}
	}
	fmt.Fprintf(w, "Replicas    %d healthy, %d desired\n\n", healthy, st.Desired)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tVERSION\tSTATE\tHEALTH\tIN FLIGHT\tADDRESS\tPID\tUP")
	for _, t := range st.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", t.ID, t.Version, t.State, t.Health, t.InFlight, t.Addr, t.PID, time.Since(t.Started).Round(time.Second))
	}
	_ = tw.Flush()
}
