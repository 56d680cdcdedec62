package iampolicy

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/config"
)

func prodOutputs() config.Outputs {
	return config.Outputs{
		Region: "eu-west-1", ClusterName: "empctl-prod", ServiceName: "empctl-prod-api", TaskFamily: "empctl-prod-api",
		ECRRepositoryURL:         "111122223333.dkr.ecr.eu-west-1.amazonaws.com/empctl-prod",
		TargetGroupARN:           "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/empctl-prod-api/0123456789abcdef",
		WebappBucket:             "empctl-prod-webapp-abc",
		CloudFrontDistributionID: "E2EXAMPLE", LogGroupName: "/ecs/empctl-prod",
		TaskRoleARN: "arn:aws:iam::111122223333:role/empctl-prod-task", ExecutionRoleARN: "arn:aws:iam::111122223333:role/empctl-prod-execution",
	}
}

func prodPolicy(t *testing.T) Document {
	t.Helper()
	s, err := ScopeFromOutputs(prodOutputs())
	if err != nil {
		t.Fatal(err)
	}
	return Generate(s)
}

// The actions whose Service Authorization Reference entry lists no
// resource type: IAM accepts them only on "*" (see rules.go for the pages).
// ecs:ListTasks has none for Fargate tasks either, and must then carry its
// ecs:cluster condition.
var cannotBeScoped = []string{
	"ecr:GetAuthorizationToken",
	"ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions",
	"elasticloadbalancing:DescribeTargetHealth",
	"ecs:ListTasks",
}

func TestUnscopedResourceOnlyForActionsIAMCannotScope(t *testing.T) {
	for _, st := range prodPolicy(t).Statement {
		for _, r := range st.Resource {
			if !strings.Contains(r, "*") {
				continue
			}
			if r != "*" {
				// A wildcard inside an ARN must stay inside the environment's names.
				if !strings.Contains(r, "empctl-prod") {
					t.Errorf("statement %s: resource %s is not limited to the environment", st.Sid, r)
				}
				continue
			}
			for _, a := range st.Action {
				if !slices.Contains(cannotBeScoped, a) {
					t.Errorf("statement %s gives %s on *, but IAM can scope it to a resource", st.Sid, a)
				}
				if a == "ecs:ListTasks" && st.Condition["ArnEquals"]["ecs:cluster"] == nil {
					t.Errorf("ecs:ListTasks on * without its ecs:cluster condition: any cluster's tasks")
				}
			}
		}
	}
}

// Each statement: Allow, at least one action, resources in the environment's
// account and region, JSON as IAM reads it.
func TestGenerateScopesEveryStatement(t *testing.T) {
	doc := prodPolicy(t)
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Version":"2012-10-17"`, `"Effect":"Allow"`,
		`"arn:aws:ecs:eu-west-1:111122223333:service/empctl-prod/empctl-prod-api"`,
		`"arn:aws:ecr:eu-west-1:111122223333:repository/empctl-prod"`,
		`"arn:aws:s3:::empctl-prod-webapp-abc/*"`, `"arn:aws:cloudfront::111122223333:distribution/E2EXAMPLE"`,
		`"arn:aws:iam::111122223333:role/empctl-prod-task"`, `"iam:PassedToService":["ecs-tasks.amazonaws.com"]`,
		`"ecs:CreateAction":["RegisterTaskDefinition"]`, `"s3:AbortMultipartUpload"`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the policy lacks %s:\n%s", want, data)
		}
	}
	// A managed policy holds at most 6,144 characters, whitespace aside
	// (IAM quotas); an inline role policy 10,240.
	if len(data) > 6144 {
		t.Errorf("the policy is %d characters: too long for a managed policy", len(data))
	}
	sids := map[string]bool{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || len(st.Action) == 0 || len(st.Resource) == 0 || sids[st.Sid] {
			t.Errorf("statement %+v: want Allow, actions, resources and a Sid of its own", st)
		}
		sids[st.Sid] = true
		for _, r := range st.Resource {
			if r != "*" && !strings.Contains(r, "111122223333") && !strings.HasPrefix(r, "arn:aws:s3:::") {
				t.Errorf("statement %s: resource %s is outside the account", st.Sid, r)
			}
		}
	}
}

// The documented permissions of issue #17 and what the evaluator makes of
// them against the generated document.
func TestGeneratedPolicyAllowsAndRefuses(t *testing.T) {
	doc := prodPolicy(t)
	td := "arn:aws:ecs:eu-west-1:111122223333:task-definition/empctl-prod-api:7"
	for _, c := range []struct {
		r    Request
		want bool
	}{
		{Request{Action: "ecs:UpdateService", Resource: "arn:aws:ecs:eu-west-1:111122223333:service/empctl-prod/empctl-prod-api"}, true},
		{Request{Action: "ecs:UpdateService", Resource: "arn:aws:ecs:eu-west-1:111122223333:service/empctl-prod/other"}, false},
		{Request{Action: "ecs:TagResource", Resource: td, Context: map[string][]string{"ecs:CreateAction": {"RegisterTaskDefinition"}, "aws:TagKeys": {"env"}}}, true},
		{Request{Action: "ecs:TagResource", Resource: td, Context: map[string][]string{"aws:TagKeys": {"env"}}}, false},
		{Request{Action: "ecs:TagResource", Resource: td, Context: map[string][]string{"aws:TagKeys": {"empctl:served"}}}, true},
		{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/empctl-prod-task", Context: map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}}, true},
		{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/empctl-prod-task", Context: map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}}, false},
		{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/admin", Context: map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}}, false},
		{Request{Action: "ecs:ListTasks", Resource: "*", Context: map[string][]string{"ecs:cluster": {"arn:aws:ecs:eu-west-1:111122223333:cluster/empctl-prod"}}}, true},
		{Request{Action: "ecs:ListTasks", Resource: "*", Context: map[string][]string{"ecs:cluster": {"arn:aws:ecs:eu-west-1:111122223333:cluster/other"}}}, false},
		{Request{Action: "s3:AbortMultipartUpload", Resource: "arn:aws:s3:::empctl-prod-webapp-abc/assets/main.js"}, true},
		{Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::another-bucket/index.html"}, false},
		{Request{Action: "ecs:ContinueServiceDeployment", Resource: "arn:aws:ecs:eu-west-1:111122223333:service-deployment/empctl-prod/empctl-prod-api/x"}, false},
	} {
		if got := doc.Allows(c.r); got != c.want {
			t.Errorf("Allows(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
}

func TestScopeFromOutputsNamesWhatIsMissing(t *testing.T) {
	o := prodOutputs()
	o.TaskRoleARN, o.WebappBucket = "", ""
	_, err := ScopeFromOutputs(o)
	var m *MissingOutputsError
	if !errors.As(err, &m) || !slices.Equal(m.Names, []string{"webapp_bucket", "task_role_arn"}) {
		t.Fatalf("ScopeFromOutputs without two outputs: %v", err)
	}
	o = prodOutputs()
	o.TargetGroupARN = "tg"
	if _, err := ScopeFromOutputs(o); err == nil || !strings.Contains(err.Error(), "target_group_arn") {
		t.Fatalf("a target group that is no ARN: %v", err)
	}
}

// terraform/ gives the role outputs the policy scopes iam:PassRole to
// (they are optional in config.Outputs, so the module test's check of the
// required ones does not cover them).
func TestTerraformOutputsTheRoles(t *testing.T) {
	src, err := os.ReadFile("../../terraform/outputs.tf")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"task_role_arn", "execution_role_arn"} {
		if !strings.Contains(string(src), `output "`+name+`"`) {
			t.Errorf("terraform/outputs.tf has no output %q", name)
		}
	}
}

// The gate and verify read the operator key: the deployer may read that one
// secret (GetSecretValue only), and only once the environment has it.
func TestOperatorKeyIsTheOnlySecret(t *testing.T) {
	const key = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:empctl-prod-operator-key-20261206-AbCdEf"
	if data, _ := json.Marshal(prodPolicy(t)); strings.Contains(string(data), "secretsmanager") {
		t.Fatalf("an environment without the operator key's secret gets a Secrets Manager statement: %s", data)
	}
	o := prodOutputs()
	o.OperatorKeySecretARN = key
	s, err := ScopeFromOutputs(o)
	if err != nil {
		t.Fatal(err)
	}
	doc := Generate(s)
	for _, c := range []struct {
		r    Request
		want bool
	}{
		{Request{Action: "secretsmanager:GetSecretValue", Resource: key}, true},
		{Request{Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1-AbCdEf"}, false},
		{Request{Action: "secretsmanager:PutSecretValue", Resource: key}, false},
		{Request{Action: "secretsmanager:DescribeSecret", Resource: key}, false},
	} {
		if got := doc.Allows(c.r); got != c.want {
			t.Errorf("Allows(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
	if src, err := os.ReadFile("../../terraform/outputs.tf"); err != nil || !strings.Contains(string(src), `output "operator_key_secret_arn"`) {
		t.Errorf("terraform/outputs.tf has no output operator_key_secret_arn (%v)", err)
	}
}
