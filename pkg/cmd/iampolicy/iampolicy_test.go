package iampolicy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/iampolicy"
)

func newCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdIAMPolicy(f, nil) }

func prod(t *testing.T, edit func(*config.Outputs)) *awsenv.Env {
	t.Helper()
	o := config.Outputs{
		Region: "eu-west-1", ClusterName: "empctl-prod", ServiceName: "empctl-prod-api", ContainerName: "api", TaskFamily: "empctl-prod-api",
		DesiredCount: "3", ECRRepositoryURL: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/empctl-prod",
		TargetGroupARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/empctl-prod-api/0123456789abcdef",
		ALBDNSName:     "internal-x.eu-west-1.elb.amazonaws.com", WebappBucket: "empctl-prod-webapp", CloudFrontDistributionID: "E2EXAMPLE",
		CloudFrontDomainName: "d1.cloudfront.net", DBEndpoint: "db:3306", DBSecretARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x",
		LogGroupName: "/ecs/empctl-prod", TaskRoleARN: "arn:aws:iam::111122223333:role/empctl-prod-task",
		ExecutionRoleARN: "arn:aws:iam::111122223333:role/empctl-prod-execution",
	}
	if edit != nil {
		edit(&o)
	}
	e, err := awsenv.New(t.TempDir(), config.Environment{Name: "prod", Region: o.Region}, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// -o json: the bare document, as the library makes it; text adds how to
// attach it on stderr only, so stdout redirects to a file IAM takes.
func TestPrintsThePolicy(t *testing.T) {
	for _, args := range [][]string{{"-o", "json"}, nil} {
		r := cmdtest.Run(t, newCmd, prod(t, nil), args...)
		if r.Code != cmdutil.ExitOK {
			t.Fatalf("%v: exit %d: %v\n%s", args, r.Code, r.Err, r.ErrOut)
		}
		var doc iampolicy.Document
		if err := json.Unmarshal([]byte(r.Out), &doc); err != nil || doc.Version != iampolicy.Version || len(doc.Statement) == 0 {
			t.Fatalf("%v: stdout is not the policy document (%v):\n%s", args, err, r.Out)
		}
		if !strings.Contains(r.Out, "arn:aws:ecs:eu-west-1:111122223333:service/empctl-prod/empctl-prod-api") {
			t.Errorf("%v: the policy is not scoped to the service:\n%s", args, r.Out)
		}
		hint := strings.Contains(r.ErrOut, "aws iam put-role-policy") && strings.Contains(r.ErrOut, "aws iam create-policy")
		if hint != (args == nil) {
			t.Errorf("%v: stderr %q: want the attach note in text output only", args, r.ErrOut)
		}
	}
}

func TestMissingOutputsSayWhatToRun(t *testing.T) {
	e := prod(t, func(o *config.Outputs) { o.TaskRoleARN, o.ExecutionRoleARN = "", "" })
	r := cmdtest.Run(t, newCmd, e)
	if r.Code != cmdutil.ExitError || r.Out != "" ||
		!strings.Contains(r.Err.Error(), "lack task_role_arn, execution_role_arn: run `empctl provision --env prod`") {
		t.Fatalf("outputs without the roles: exit %d, %v, stdout %q", r.Code, r.Err, r.Out)
	}
}

func TestLocalEnvironmentIsRefused(t *testing.T) {
	r := cmdtest.Run(t, newCmd, &envtest.Fake{})
	if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), "pass an AWS environment") {
		t.Fatalf("local: exit %d, %v", r.Code, r.Err)
	}
}
