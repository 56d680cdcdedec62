// Package provision implements `empctl provision`: create or update an AWS
// environment's infrastructure from terraform/ and save its outputs.
package provision

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/tf"
)

// Options are provision's inputs.
type Options struct {
	Factory   *cmdutil.Factory
	Terraform TerraformFlags
	Yes       bool
	DryRun    bool
}

// Result is what --output json prints.
type Result struct {
	Env         string          `json:"env"`
	DryRun      bool            `json:"dryRun"`
	Applied     bool            `json:"applied"`
	Plan        tf.Summary      `json:"plan"`
	Outputs     *config.Outputs `json:"outputs,omitempty"`
	OutputsFile string          `json:"outputsFile,omitempty"`
}

// NewCmdProvision builds the command; runF replaces the run function in tests.
func NewCmdProvision(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "provision",
		Short: "Create or update an AWS environment's infrastructure with Terraform",
		Long: `Provision runs Terraform on terraform/ for the environment given by --env
(defined in empctl.yaml): init, a saved plan and its summary, then, once you
confirm, an apply of exactly that plan. Before Terraform starts, one STS call
checks that AWS can be used: missing or expired credentials and an endpoint
that cannot be reached are named in seconds, with what to do (-v names the
account and identity). Stateful resources (database, bucket,
image repository) that the plan would destroy or replace are called out first.

The outputs are saved to .empctl/<env>/outputs.json, which deploy, status,
rollback and verify read. State stays in .empctl/<env>/ unless empctl.yaml
configures a remote backend.

With certificate_arn in the environment's vars, provision first reads the
certificate from ACM and refuses one that is not ISSUED, is in another region
or does not cover every name in cloudfront_aliases (CloudFront checks the
ALB's certificate against the viewer's host name).

Ctrl-C interrupts Terraform gracefully: it finishes what is in flight and
saves its state; run provision again to continue.`,
		Example: `  empctl provision --env prod --dry-run        # show the plan only
  empctl provision --env prod                  # plan, confirm, apply
  empctl provision --env prod --yes            # in CI: no prompt
  empctl provision --env prod -o json --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.Terraform.Register(cmd)
	cmdutil.YesFlag(cmd, &opts.Yes, "apply without asking (required when stdin is not a terminal)", "auto-approve")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "plan and summarize only; change nothing")
	return cmd
}

// Run provisions the environment.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	ios := f.IOStreams
	// What makes the command meaningless is said before any question.
	env, err := ResolveEnv(f)
	if err != nil {
		return err
	}
	// Refuse before a long plan that could never be applied.
	if !opts.DryRun && !opts.Yes && !ios.IsStdinTTY() {
		return cmdutil.FlagErrorf("refusing to apply without confirmation: stdin is not a terminal; review with --dry-run, then pass --yes")
	}
	if err := checkCertificate(ctx, f, env); err != nil {
		return err
	}
	s, err := Open(ctx, f, opts.Terraform)
	if err != nil {
		return err
	}
	step(f, "Planning")
	plan, err := s.Runner.Plan(ctx, false)
	if err != nil {
		return err
	}
	defer s.Runner.Discard(plan) // a plan not applied must not linger
	res := &Result{Env: s.Env.Name, DryRun: opts.DryRun, Plan: plan.Summary}
	if f.JSON() {
		WriteDataLossWarning(ios.ErrOut, ios.ErrColorScheme(), plan.Summary)
	} else {
		WriteSummary(ios.Out, ios.ColorScheme(), s.Env.Name, plan.Summary)
	}

	if opts.DryRun {
		if !f.JSON() {
			fmt.Fprintln(ios.Out, "Dry run: nothing was applied.")
		}
		return report(f, res)
	}
	if plan.Summary.HasChanges() {
		if !opts.Yes {
			answer, err := Ask(ctx, ios, fmt.Sprintf("Apply this plan to %s? [y/N]: ", s.Env.Name))
			if err != nil {
				return err
			}
			if a := strings.ToLower(answer); a != "y" && a != "yes" {
				return errors.New("provision cancelled: nothing was applied")
			}
		}
		step(f, "Applying the plan")
		if err := s.Runner.Apply(ctx, plan); err != nil {
			return err
		}
		res.Applied = true
	}

	values, err := s.Runner.Outputs(ctx)
	if err != nil {
		return err
	}
	if len(values) == 0 { // nothing was ever applied: nothing to save
		return report(f, res)
	}
	outputs, err := config.ParseOutputs(values)
	if err != nil {
		return err
	}
	saved, err := config.SaveOutputs(s.Dir, s.Env.Name, outputs)
	if err != nil {
		return err
	}
	res.Outputs = &saved
	res.OutputsFile = filepath.Join(config.EnvDir(s.Dir, s.Env.Name), config.OutputsFile)
	if err := seedOperatorKey(ctx, f, s.Env, saved.OperatorKeySecretARN); err != nil {
		return err
	}
	if missing := saved.Missing(); len(missing) > 0 {
		fmt.Fprintf(ios.ErrOut, "%s terraform/ gives no value for %s; commands needing them will fail\n", ios.ErrColorScheme().Yellow("warning:"), strings.Join(missing, ", "))
	}
	return report(f, res)
}

func report(f *cmdutil.Factory, res *Result) error {
	if f.JSON() {
		return f.PrintJSON(res)
	}
	if res.Outputs == nil {
		return nil
	}
	out := f.IOStreams.Out
	verb := "Up to date"
	if res.Applied {
		verb = "Applied"
	}
	o := res.Outputs
	fmt.Fprintf(out, "%s %s. Outputs saved to %s\n", f.IOStreams.ColorScheme().SuccessIcon(), verb, res.OutputsFile)
	for _, row := range [][2]string{
		{"App URL", o.AppURL()},
		{"ECR repository", o.ECRRepositoryURL},
		{"ECS service", o.ClusterName + "/" + o.ServiceName},
		{"ALB", o.ALBDNSName},
		{"Database", o.DBEndpoint},
	} {
		fmt.Fprintf(out, "  %-15s %s\n", row[0]+":", row[1])
	}
	fmt.Fprintf(out, "Next: empctl deploy --env %s\n", res.Env)
	return nil
}
