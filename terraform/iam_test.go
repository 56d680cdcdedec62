package terraform_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// statements returns a policy document's statement blocks, dynamic ones
// included (their content block), keyed by sid.
func statements(m *module, key string) map[string]*hclsyntax.Block {
	out := map[string]*hclsyntax.Block{}
	for _, b := range m.block(key).Body.Blocks {
		if b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == "statement" {
			b = m.nested(b, "content")
		} else if b.Type != "statement" {
			continue
		}
		sid := ""
		if a, ok := b.Body.Attributes["sid"]; ok {
			v, _ := a.Expr.Value(nil)
			sid = v.AsString()
		}
		out[sid] = b
	}
	return out
}

func conditionVariables(b *hclsyntax.Block) []string {
	var vars []string
	for _, c := range b.Body.Blocks {
		if c.Type == "condition" {
			v, _ := c.Body.Attributes["variable"].Expr.Value(nil)
			vars = append(vars, v.AsString())
		}
	}
	return vars
}

// The execution role's trust policy has no aws:SourceArn condition (AWS
// documents it for the task role; if Fargate does not send it for the
// execution role, no task starts); the task role's has it.
func TestTrustPolicies(t *testing.T) {
	m := load(t)
	roles := map[string]string{"execution": "data.aws_iam_policy_document.execution_assume", "task": "data.aws_iam_policy_document.task_assume"}
	for role, doc := range roles {
		if got := strings.Join(m.refs(m.block("resource.aws_iam_role."+role), "assume_role_policy"), ""); got != doc+".json" {
			t.Errorf("aws_iam_role.%s trusts %s, want %s", role, got, doc)
		}
	}
	for _, st := range statements(m, roles["execution"]) {
		if vars := conditionVariables(st); len(vars) > 0 {
			t.Errorf("the execution role's trust policy has conditions %v", vars)
		}
	}
	for _, st := range statements(m, roles["task"]) {
		vars := conditionVariables(st)
		if !slices.Contains(vars, "aws:SourceArn") || !slices.Contains(vars, "aws:SourceAccount") {
			t.Errorf("the task role's trust policy conditions are %v, want aws:SourceArn and aws:SourceAccount", vars)
		}
	}
}

// The task role reads the database secret and the operator key (see
// operator_key_test.go) and nothing else; kms:Decrypt only
// for a customer managed key and only through Secrets Manager. The execution
// role no longer touches the secret.
func TestTaskRoleReadsOnlyTheDatabaseSecret(t *testing.T) {
	m := load(t)
	task := statements(m, "data.aws_iam_policy_document.task")
	for sid := range task {
		if sid != "ReadDatabaseSecret" && sid != "DecryptDatabaseSecret" && sid != "ReadOperatorKey" {
			t.Errorf("the task role has a statement %s", sid)
		}
	}
	read, ok := task["ReadDatabaseSecret"]
	if !ok {
		t.Fatal("the task role has no ReadDatabaseSecret statement")
	}
	if got := m.value(read, "actions"); got.LengthInt() != 1 || got.Index(cty.Zero).AsString() != "secretsmanager:GetSecretValue" {
		t.Errorf("ReadDatabaseSecret actions = %#v", got)
	}
	if got := strings.Join(m.refs(read, "resources"), ","); got != "aws_db_instance.this.master_user_secret[].secret_arn" {
		t.Errorf("ReadDatabaseSecret resources = %s, want the RDS-managed secret only", got)
	}
	decrypt, ok := task["DecryptDatabaseSecret"]
	if !ok {
		t.Fatal("the task role cannot decrypt a secret under a customer managed key")
	}
	if got := m.value(decrypt, "actions"); got.LengthInt() != 1 || got.Index(cty.Zero).AsString() != "kms:Decrypt" {
		t.Errorf("DecryptDatabaseSecret actions = %#v", got)
	}
	if vars := conditionVariables(decrypt); !slices.Equal(vars, []string{"kms:ViaService"}) {
		t.Errorf("DecryptDatabaseSecret conditions = %v, want kms:ViaService", vars)
	}
	dyn := string(m.files["iam.tf"])
	if !strings.Contains(dyn, `for_each = var.db_secret_kms_key_arn == "" ? [] : [var.db_secret_kms_key_arn]`) {
		t.Error("kms:Decrypt is not limited to db_secret_kms_key_arn when one is set")
	}
	if got := m.refs(m.block("resource.aws_db_instance.this"), "master_user_secret_kms_key_id"); !slices.Equal(slices.Compact(got), []string{"var.db_secret_kms_key_arn"}) {
		t.Errorf("master_user_secret_kms_key_id = %v, want var.db_secret_kms_key_arn", got)
	}
	for sid, st := range statements(m, "data.aws_iam_policy_document.execution") {
		for _, a := range m.value(st, "actions").AsValueSlice() {
			if strings.HasPrefix(a.AsString(), "secretsmanager:") || strings.HasPrefix(a.AsString(), "kms:") {
				t.Errorf("the execution role's %s allows %s", sid, a.AsString())
			}
		}
	}
	if got := strings.Join(m.refs(m.block("resource.aws_iam_role_policy.task"), "role"), ""); got != "aws_iam_role.task.id" {
		t.Errorf("the task policy is attached to %s", got)
	}
}
