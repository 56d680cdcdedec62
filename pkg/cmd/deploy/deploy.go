// Package deploy implements `empctl deploy`, the parent of `deploy backend`
// and `deploy frontend`.
package deploy

import (
	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/backend"
	"github.com/empctl/empctl/pkg/cmd/deploy/frontend"
	"github.com/empctl/empctl/pkg/cmdutil"
)

func NewCmdDeploy(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy <backend|frontend>",
		Short: "Deploy the API server or the webapp",
		Example: `  empctl deploy backend
  empctl deploy frontend`,
	}
	cmd.AddCommand(backend.NewCmdBackend(f, nil))
	cmd.AddCommand(frontend.NewCmdFrontend(f, nil))
	return cmd
}
