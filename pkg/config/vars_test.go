package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The project's own module: a misspelt variable must name the right one.
func TestCheckVarsAgainstTheModule(t *testing.T) {
	module := filepath.Join("..", "..", "terraform")
	for _, tc := range []struct {
		vars map[string]any
		want string
	}{
		{map[string]any{"az_count": 3, "desired_count": 3}, ""},
		{map[string]any{"desired_cont": 3}, `vars.desired_cont: ../../terraform declares no such variable: did you mean "desired_count"?`},
		{map[string]any{"desired_count": "three"}, "vars.desired_count is three, but ../../terraform declares it as a number"},
		{map[string]any{"desired_count": "3"}, ""},
	} {
		e := Environment{Name: "prod", Region: "eu-west-1", Vars: tc.vars}
		err := e.CheckVars("empctl.yaml", module)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tc.vars, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want it to contain %q", tc.vars, err, tc.want)
		}
	}
}

func TestCheckVarsKinds(t *testing.T) {
	dir := t.TempDir()
	tf := `variable "flag" { type = bool }
variable "tags" { type = map(string) }
variable "cidrs" { type = list(string) }
variable "anything" {}`
	if err := os.WriteFile(filepath.Join(dir, "variables.tf"), []byte(tf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		vars map[string]any
		want string
	}{
		{map[string]any{"flag": true, "tags": map[string]any{"a": "b"}, "cidrs": []any{"10.0.0.0/8"}, "anything": []any{1}}, ""},
		{map[string]any{"flag": "yes"}, "true or false"},
		{map[string]any{"tags": "a=b"}, "a map"},
		{map[string]any{"cidrs": "10.0.0.0/8"}, "a list"},
	} {
		err := Environment{Name: "prod", Vars: tc.vars}.CheckVars("empctl.yaml", dir)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: error %v, want %q", tc.vars, err, tc.want)
		}
	}
	if err := (Environment{Name: "prod"}).CheckVars("empctl.yaml", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .tf files") {
		t.Errorf("empty module: %v", err)
	}
}
