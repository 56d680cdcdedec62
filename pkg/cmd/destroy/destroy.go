// Package destroy implements `empctl destroy`: delete an AWS environment's
// infrastructure, after the user types the environment's name.
package destroy

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/provision"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/tf"
)

// Options are destroy's inputs.
type Options struct {
	Factory   *cmdutil.Factory
	Terraform provision.TerraformFlags
	Yes       bool
	Confirm   string
	DryRun    bool
}

// Result is what --output json prints.
type Result struct {
	Env       string     `json:"env"`
	DryRun    bool       `json:"dryRun"`
	Destroyed bool       `json:"destroyed"`
	Plan      tf.Summary `json:"plan"`
}

// NewCmdDestroy builds the command; runF replaces the run function in tests.
func NewCmdDestroy(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Delete an AWS environment's infrastructure, data included",
		Long: `Destroy plans the deletion of everything Terraform created for --env, lists
the stateful resources whose data goes with it, and asks you to type the
environment's name before it applies that plan. As provision does, it checks
the AWS credentials (one STS call) before Terraform starts.

The database has deletion protection (the load balancer too, for prod), and
the webapp bucket, the image repository and the log bucket refuse to be
deleted while they hold files: set db_deletion_protection: false,
alb_deletion_protection: false, webapp_force_destroy: true,
ecr_force_delete: true and log_bucket_force_destroy: true under the
environment's vars in empctl.yaml and run provision first. RDS still takes a
final snapshot, named <project>-<env>-final-<creation time>.`,
		Example: `  empctl destroy --env staging --dry-run       # what would be deleted
  empctl destroy --env staging                 # asks you to type "staging"
  empctl destroy --env staging --confirm staging  # no prompt (scripts)
  empctl destroy --env staging --yes           # no prompt, no name check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.Terraform.Register(cmd)
	cmdutil.YesFlag(cmd, &opts.Yes, "destroy without asking", "auto-approve")
	cmd.Flags().StringVar(&opts.Confirm, "confirm", "", "the environment's name, to confirm without a prompt")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "plan and summarize only; delete nothing")
	return cmd
}

// Run destroys the environment.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	ios := f.IOStreams
	name := f.Global.Env
	// What makes the command meaningless is said before any question.
	if _, err := provision.ResolveEnv(f); err != nil {
		return err
	}
	if opts.Confirm != "" && opts.Confirm != name {
		return cmdutil.FlagErrorf("--confirm %q does not match --env %q; nothing was destroyed", opts.Confirm, name)
	}
	confirmed := opts.Yes || opts.Confirm == name
	if !opts.DryRun && !confirmed && !ios.IsStdinTTY() {
		return cmdutil.FlagErrorf("refusing to destroy %s without confirmation: stdin is not a terminal; pass --confirm %s (or --yes)", name, name)
	}
	s, err := provision.Open(ctx, f, opts.Terraform)
	if err != nil {
		return err
	}
	fmt.Fprintln(ios.ErrOut, "==> Planning the destruction")
	plan, err := s.Runner.Plan(ctx, true)
	if err != nil {
		return err
	}
	defer s.Runner.Discard(plan) // a plan not applied must not linger
	res := &Result{Env: name, DryRun: opts.DryRun, Plan: plan.Summary}
	if f.JSON() {
		provision.WriteDataLossWarning(ios.ErrOut, ios.ErrColorScheme(), plan.Summary)
	} else {
		provision.WriteSummary(ios.Out, ios.ColorScheme(), name, plan.Summary)
	}
	if opts.DryRun || !plan.Summary.HasChanges() {
		if !opts.DryRun {
			// Nothing left: the saved outputs describe nothing either.
			if err := config.RemoveOutputs(s.Dir, name); err != nil {
				return err
			}
		}
		return report(f, res)
	}
	if !confirmed {
		answer, err := provision.Ask(ctx, ios, fmt.Sprintf("Type %q to destroy it, data included: ", name))
		if err != nil {
			return err
		}
		if answer != name {
			return errors.New("the name did not match: nothing was destroyed")
		}
	}
	fmt.Fprintln(ios.ErrOut, "==> Destroying")
	if err := s.Runner.Apply(ctx, plan); err != nil {
		return err
	}
	res.Destroyed = true
	if err := config.RemoveOutputs(s.Dir, name); err != nil {
		return err
	}
	return report(f, res)
}

func report(f *cmdutil.Factory, res *Result) error {
	if f.JSON() {
		return f.PrintJSON(res)
	}
	switch {
	case res.DryRun:
		fmt.Fprintln(f.IOStreams.Out, "Dry run: nothing was destroyed.")
	case res.Destroyed:
		fmt.Fprintf(f.IOStreams.Out, "%s Destroyed %s.\n", f.IOStreams.ColorScheme().SuccessIcon(), res.Env)
	default:
		fmt.Fprintf(f.IOStreams.Out, "Nothing to destroy in %s.\n", res.Env)
	}
	return nil
}
