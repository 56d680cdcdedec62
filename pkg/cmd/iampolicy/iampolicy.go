// Package iampolicy implements `empctl iam-policy`.
package iampolicy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/iostreams"
)

type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
	Env  func() (env.Environment, error)
}

func NewCmdIAMPolicy(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	return &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policy for deploying an AWS environment",
		Long: `Print the IAM policy document (JSON) the identity that runs deploy backend,
deploy frontend, rollback, status and verify-zero-downtime on an AWS
environment needs, and no more: every action is limited to the environment's
cluster, service, task definition family, image repository, bucket,
distribution and log group, read from the outputs provision saved, and
iam:PassRole to its task and execution roles, for ECS tasks only, and
secretsmanager:GetSecretValue on its operator key (the gate and verify send
it). The few
actions IAM cannot limit to a resource (ecr:GetAuthorizationToken, registering
and describing task definitions, elasticloadbalancing:Describe*) are on "*".

provision and destroy need far wider rights (they create the infrastructure)
and are not covered: run them with an administrator's credentials.

The document goes to stdout, a note on attaching it to stderr; with
--output json only the document is printed.`,
		Example: `  empctl iam-policy --env prod > empctl-deployer-prod.json
  aws iam put-role-policy --role-name my-ci-role --policy-name empctl-deployer-prod \
    --policy-document file://empctl-deployer-prod.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

func Run(opts *Options) error {
	e, err := opts.Env()
	if err != nil {
		return err
	}
	aws, ok := e.(*awsenv.Env)
	if !ok {
		return cmdutil.FlagErrorf("env %s runs on this machine and needs no IAM policy: pass an AWS environment, e.g. --env prod", e.Name())
	}
	scope, err := iampolicy.ScopeFromOutputs(aws.Outputs)
	var missing *iampolicy.MissingOutputsError
	if errors.As(err, &missing) {
		return fmt.Errorf("the saved outputs of env %s lack %s: run `empctl provision --env %s` to write them again",
			e.Name(), strings.Join(missing.Names, ", "), e.Name())
	}
	if err != nil {
		return fmt.Errorf("%w: run `empctl provision --env %s` to write the outputs again", err, e.Name())
	}
	if err := cmdutil.PrintJSON(opts.IO.Out, iampolicy.Generate(scope)); err != nil {
		return err
	}
	if !opts.JSON {
		name := "empctl-deployer-" + e.Name()
		fmt.Fprintf(opts.IO.ErrOut, `# Attach it to the identity CI deploys with, saved as %[1]s.json:
#   aws iam put-role-policy --role-name <ci-role> --policy-name %[1]s --policy-document file://%[1]s.json
# or as a managed policy:
#   aws iam create-policy --policy-name %[1]s --policy-document file://%[1]s.json
`, name)
	}
	return nil
}
