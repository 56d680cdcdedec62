package initcmd

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/iostreams"
)

func run(t *testing.T, dir, env string, args ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: env, Output: cmdutil.OutputText, Dir: dir}}
	cmd := NewCmdInit(f, nil)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestInitWritesAnEnvironmentEmpctlAccepts(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, dir, "staging", "--region", "eu-west-1", "--profile", "ci")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "empctl provision --env staging --dry-run") {
		t.Errorf("no next step in %q", out)
	}
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	env, err := cfg.Env("staging")
	if err != nil || env.Region != "eu-west-1" || env.Profile != "ci" {
		t.Fatalf("staging = %+v, %v", env, err)
	}

	// A second environment keeps the first and the file's comments.
	path := filepath.Join(dir, config.FileName)
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append([]byte("# kept: the team's note\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, dir, "prod", "--region", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	cfg, err = config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Names(); strings.Join(got, ",") != "prod,staging" {
		t.Errorf("environments %v", got)
	}
	data, _ = os.ReadFile(path)
	if !strings.Contains(string(data), "# kept: the team's note") {
		t.Errorf("the file's own comment was lost:\n%s", data)
	}
	if _, err := run(t, dir, "prod", "--region", "us-east-1"); err == nil || !strings.Contains(err.Error(), `"prod" is already defined`) {
		t.Errorf("a second init of prod: %v", err)
	}
}

func TestInitRefusesBadInputWithUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"staging", []string{"--region", "eu-wset-1"}, `did you mean "eu-west-1"?`},
		{"staging", nil, "--region is required"},
		{"local", []string{"--region", "eu-west-1"}, "name the new environment with --env"},
		{"Prod_1", []string{"--region", "eu-west-1"}, "lower-case letters"},
	} {
		dir := t.TempDir()
		_, err := run(t, dir, tc.env, tc.args...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--env %s %v: %v (exit %d), want a usage error with %q", tc.env, tc.args, err, cmdutil.ExitCode(err), tc.want)
		}
		if _, statErr := os.Stat(filepath.Join(dir, config.FileName)); statErr == nil {
			t.Errorf("--env %s %v: a file was written although the input was refused", tc.env, tc.args)
		}
	}
}

// Every variable the template suggests exists in terraform/, with a value of
// its declared kind: uncommented, the template is a valid configuration.
func TestTemplateVariablesExist(t *testing.T) {
	uncommented := regexp.MustCompile(`(?m)^    # (vars:)$|^    #   (\w+: [^#\n]*?)\s*(#.*)?$`).ReplaceAllStringFunc(commonVars, func(line string) string {
		return strings.Replace(line, "# ", "", 1)
	})
	cfg, err := config.Parse("empctl.yaml", []byte(fileHeader+"  staging:\n    region: eu-west-1\n"+uncommented))
	if err != nil {
		t.Fatalf("%v\n%s", err, uncommented)
	}
	env, _ := cfg.Env("staging")
	if len(env.Vars) < 5 {
		t.Fatalf("only %d variables parsed from the template:\n%s", len(env.Vars), uncommented)
	}
	if err := env.CheckVars("empctl.yaml", filepath.Join("..", "..", "..", "terraform")); err != nil {
		t.Error(err)
	}
}
