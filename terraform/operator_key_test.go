package terraform_test

import (
	"strings"
	"testing"
)

// The operator key's secret: Terraform makes the secret and nothing that
// holds its value (no secret version, no random_password into state), hands
// its ARN to the server and lets the task role read it, and outputs the ARN
// for provision, the gate and verify.
func TestOperatorKeySecret(t *testing.T) {
	m := load(t)
	b := m.block("resource.aws_secretsmanager_secret.operator_key")
	for _, name := range []string{"secret_string", "secret_binary"} {
		if _, ok := b.Body.Attributes[name]; ok {
			t.Errorf("the operator key's secret sets %s: its value would be in Terraform's state", name)
		}
	}
	for key := range m.blocks {
		if strings.HasPrefix(key, "resource.aws_secretsmanager_secret_version.") {
			t.Errorf("%s: the operator key's value must come from empctl provision, not Terraform", key)
		}
	}
	for name, src := range m.files {
		if strings.Contains(string(src), "aws_secretsmanager_secret.operator_key") && strings.Contains(string(src), "random_password.operator") {
			t.Errorf("%s: a random_password for the operator key would be in Terraform's state", name)
		}
	}
	if got := serverEnvironment(t, m, nil)["OPERATOR_KEY_SECRET_ARN"]; got != operatorKeyARN {
		t.Errorf("OPERATOR_KEY_SECRET_ARN = %q, want the secret's ARN", got)
	}
	read, ok := statements(m, "data.aws_iam_policy_document.task")["ReadOperatorKey"]
	if !ok {
		t.Fatal("the task role cannot read the operator key")
	}
	if got := m.value(read, "actions"); got.LengthInt() != 1 || got.AsValueSlice()[0].AsString() != "secretsmanager:GetSecretValue" {
		t.Errorf("ReadOperatorKey actions = %#v", got)
	}
	if got := strings.Join(m.refs(read, "resources"), ","); got != "aws_secretsmanager_secret.operator_key.arn" {
		t.Errorf("ReadOperatorKey resources = %s, want the operator key's secret only", got)
	}
	out := m.block("output.operator_key_secret_arn")
	if got := strings.Join(m.refs(out, "value"), ","); got != "aws_secretsmanager_secret.operator_key.arn" {
		t.Errorf("output operator_key_secret_arn = %s", got)
	}
	if _, ok := out.Body.Attributes["sensitive"]; ok {
		t.Error("operator_key_secret_arn is sensitive: provision would not save it")
	}
}
