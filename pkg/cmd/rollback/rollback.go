// Package rollback implements `empctl rollback`.
package rollback

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
	Env  func() (env.Environment, error)
}

func NewCmdRollback(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	return &cobra.Command{
		Use:   "rollback",
		Short: "Roll the backend back to the previous release",
		Long: `Roll the API server back to the release that served before the current one,
with the same zero-downtime rollout as a deploy. Rolling back twice returns to
the release you rolled back from.`,
		Example: `  empctl rollback
  empctl rollback --output json`,
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
	ro, err := e.Rollback(ctx, shared.Progress(opts.IO.ErrOut))
	return shared.FinishRollout(opts.IO.Out, opts.JSON, ro, err)
}
