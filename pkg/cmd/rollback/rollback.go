// Package rollback implements `empctl rollback` (the backend's, also spelled
// `empctl rollback backend`) and `empctl rollback frontend`.
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

	Rollback env.RollbackOptions
}

const backendLong = `Roll the API server back to the release that served before the current one,
with the same zero-downtime rollout as a deploy. Locally, rolling back twice
returns to the release you rolled back from.

On AWS the default is the newest earlier task definition revision whose
deployment succeeded (empctl tags each one that served); a revision the
circuit breaker rejected is passed over. --to names a revision number.

During a progressive rollout (deploy backend --strategy blue-green, canary or
linear) in a bake or a paused stage, it instead returns all production
traffic to the old version at once (it still runs) and ends that rollout.`

// NewCmdRollback is `empctl rollback`: the backend's rollback, with
// `backend` (its explicit spelling) and `frontend` below it.
func NewCmdRollback(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd := newCmdBackend(f, runF)
	cmd.Use = "rollback"
	cmd.Short = "Roll the backend (or, with `frontend`, the webapp) back to the previous release"
	cmd.Long = backendLong + "\n\n`empctl rollback backend` is the same command; `empctl rollback frontend`\nrolls the webapp back."
	cmd.Example = `  empctl rollback
  empctl rollback --output json
  empctl rollback --env prod --to 41
  empctl rollback frontend --env prod`
	cmd.AddCommand(newCmdBackend(f, runF))
	cmd.AddCommand(NewCmdFrontend(f, nil))
	return cmd
}

func newCmdBackend(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	cmd := &cobra.Command{
		Use:   "backend",
		Short: "Roll the backend back to the previous release",
		Long:  backendLong,
		Example: `  empctl rollback backend
  empctl rollback backend --env prod --to 41`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Rollback.To, "to", "", "the version (AWS: task definition revision) to roll back to; default the previous one")
	shared.AddWatchFlags(cmd, &opts.Rollback.DeployOptions)
	return cmd
}

func Run(ctx context.Context, opts *Options) error {
	e, err := opts.Env()
	if err != nil {
		return err
	}
	ro, err := e.Rollback(ctx, opts.Rollback, shared.Progress(opts.IO, opts.JSON))
	return shared.FinishRollout(opts.IO, opts.JSON, ro, err)
}
