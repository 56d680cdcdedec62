package terraform_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// RDS identifiers, ALB and target group names and ECR repository names
// refuse a trailing hyphen and two hyphens in a row, so the name variables
// refuse them too. Terraform evaluates each variable's own condition here.
func TestNameValidationRejectsBadHyphens(t *testing.T) {
	m := load(t)
	cases := map[string]map[string]bool{
		"project": {
			"empctl": true, "my-app": true, "a1": true, "a-b-c": true, "abcdefghijkl": true,
			"my-": false, "my--app": false, "-my": false, "1app": false, "a": false, "abcdefghijklm": false, "My": false,
		},
		"environment": {
			"prod": true, "p": true, "prod-2": true, "eu-west-stage": true, "abcdefghijklmno": true,
			"prod-": false, "pr--od": false, "-prod": false, "2prod": false, "Prod": false, "abcdefghijklmnop": false,
		},
	}
	var extra strings.Builder
	want := map[string]bool{}
	for name, values := range cases {
		cond := m.nested(m.block("variable."+name), "validation").Body.Attributes["condition"]
		src := string(cond.Expr.Range().SliceBytes(m.files[cond.Expr.Range().Filename]))
		i := 0
		for value, ok := range values {
			out := fmt.Sprintf("%s_%d", name, i)
			i++
			fmt.Fprintf(&extra, "output %q {\n  value = %s\n}\n", out, strings.ReplaceAll(src, "var."+name, strconv.Quote(value)))
			want[out+" "+value] = ok
		}
	}
	got, errs := terraformRun(t, extra.String(), map[string]any{"environment": "prod", "region": "eu-west-1"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for key, ok := range want {
		out, value, _ := strings.Cut(key, " ")
		if got[out] != ok {
			t.Errorf("%s = %q: validation passes = %v, want %v", strings.Split(out, "_")[0], value, got[out], ok)
		}
	}
}
