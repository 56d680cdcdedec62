// Package deploy implements `empctl deploy`: both tiers as one release
// (release.go), and `deploy backend` and `deploy frontend` below it.
package deploy

import (
	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/backend"
	"github.com/empctl/empctl/pkg/cmd/deploy/frontend"
	"github.com/empctl/empctl/pkg/cmdutil"
)

func NewCmdDeploy(f *cmdutil.Factory) *cobra.Command { return newCmdDeploy(f, nil) }

func newCmdDeploy(f *cmdutil.Factory, runF func(*ReleaseOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy [backend|frontend]",
		Short: "Deploy the API server and the webapp as one release, or either alone",
		Example: `  empctl deploy                      # the backend, then the webapp
  empctl deploy --env prod --dry-run
  empctl deploy --env prod -o json
  empctl deploy backend
  empctl deploy frontend`,
	}
	newCmdRelease(f, cmd, runF)
	cmd.AddCommand(backend.NewCmdBackend(f, nil))
	cmd.AddCommand(frontend.NewCmdFrontend(f, nil))
	return cmd
}
