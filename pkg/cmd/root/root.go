// Package root builds empctl's root command and wires every subcommand to it.
package root

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy"
	"github.com/empctl/empctl/pkg/cmd/destroy"
	"github.com/empctl/empctl/pkg/cmd/down"
	"github.com/empctl/empctl/pkg/cmd/iampolicy"
	initcmd "github.com/empctl/empctl/pkg/cmd/init"
	"github.com/empctl/empctl/pkg/cmd/logs"
	"github.com/empctl/empctl/pkg/cmd/provision"
	"github.com/empctl/empctl/pkg/cmd/rollback"
	"github.com/empctl/empctl/pkg/cmd/status"
	"github.com/empctl/empctl/pkg/cmd/up"
	"github.com/empctl/empctl/pkg/cmd/verify"
	"github.com/empctl/empctl/pkg/cmd/version"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
)

// NewCmdRoot returns the `empctl` command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "empctl",
		Short: "Provision and deploy the app on AWS, or run it locally, with zero downtime",
		Long: `empctl provisions the app's infrastructure with Terraform, deploys the API server
and the webapp, and proves that a backend rollout drops no request.

The default environment is "local": the whole stack on this machine, no AWS account needed.`,
		Example: `  empctl up                              # run the stack locally
  empctl deploy backend                  # roll out a new server build
  empctl verify-zero-downtime --rate 200 # prove a rollout drops nothing
  empctl provision --env prod            # create the AWS infrastructure`,
		RunE:          func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch f.Global.Output {
			case cmdutil.OutputText, cmdutil.OutputJSON:
				return nil
			default:
				return cmdutil.FlagErrorf("--output must be %q or %q, not %q", cmdutil.OutputText, cmdutil.OutputJSON, f.Global.Output)
			}
		},
	}
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())}
	})

	pf := cmd.PersistentFlags()
	pf.StringVarP(&f.Global.Env, "env", "e", f.Global.Env, `environment to act on: "local" or a name from empctl.yaml`)
	pf.StringVarP(&f.Global.Output, "output", "o", f.Global.Output, "output format: text or json")
	pf.BoolVarP(&f.Global.Verbose, "verbose", "v", false, "print more detail")
	pf.StringVarP(&f.Global.Dir, "dir", "C", f.Global.Dir, "project directory (where empctl.yaml and .empctl/ live)")
	_ = cmd.RegisterFlagCompletionFunc("env", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		names := []string{config.LocalEnv}
		if cfg, err := config.Load(f.Global.Dir); err == nil {
			names = append(names, cfg.Names()...)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{cmdutil.OutputText, cmdutil.OutputJSON}, cobra.ShellCompDirectiveNoFileComp))

	// Subcommands; one line each.
	cmd.AddCommand(version.NewCmdVersion(f))
	cmd.AddCommand(up.NewCmdUp(f, nil))
	cmd.AddCommand(down.NewCmdDown(f, nil))
	cmd.AddCommand(status.NewCmdStatus(f, nil))
	cmd.AddCommand(deploy.NewCmdDeploy(f))
	cmd.AddCommand(rollback.NewCmdRollback(f, nil))
	cmd.AddCommand(logs.NewCmdLogs(f, nil))
	cmd.AddCommand(verify.NewCmdVerify(f, nil))
	cmd.AddCommand(initcmd.NewCmdInit(f, nil))
	cmd.AddCommand(provision.NewCmdProvision(f, nil))
	cmd.AddCommand(destroy.NewCmdDestroy(f, nil))
	cmd.AddCommand(iampolicy.NewCmdIAMPolicy(f, nil))

	strictArgs(cmd)
	return cmd
}
