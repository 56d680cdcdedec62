package destroy_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmd/destroy"
	"github.com/empctl/empctl/pkg/cmd/provision"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/tf/tftest"
)

const testYAML = "environments:\n  test: {region: eu-west-1}\n"

type result struct {
	stdout, stderr *tftest.Buffer
	err            error
}

func factory(project, output, stdin string, tty bool) (*cmdutil.Factory, *result) {
	res := &result{stdout: tftest.NewBuffer(), stderr: tftest.NewBuffer()}
	ios := &iostreams.IOStreams{In: strings.NewReader(stdin), Out: res.stdout, ErrOut: res.stderr}
	ios.SetTTY(tty, false)
	return &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: "test", Output: output, Dir: project}}, res
}

func run(t *testing.T, project, output, stdin string, tty bool, args ...string) *result {
	t.Helper()
	withAWS(t)
	f, res := factory(project, output, stdin, tty)
	cmd := destroy.NewCmdDestroy(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(res.stdout)
	cmd.SetErr(res.stderr)
	res.err = cmd.ExecuteContext(context.Background())
	return res
}

// withAWS points the AWS SDK at a moto server for the test, unless the test
// did already: destroy and provision check the credentials before Terraform
// runs.
func withAWS(t *testing.T) {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		testenv.MotoEnv(t)
	}
}

// provisioned returns a project whose "test" environment has been provisioned.
func provisioned(t *testing.T) string {
	t.Helper()
	tftest.Binary(t)
	withAWS(t)
	project := tftest.Project(t, tftest.App, testYAML)
	f, res := factory(project, cmdutil.OutputText, "", false)
	if err := provision.Run(context.Background(), &provision.Options{Factory: f, Yes: true}); err != nil {
		t.Fatalf("provision: %v\n%s", err, res.stderr)
	}
	return project
}

func TestDestroyWithConfirmFlag(t *testing.T) {
	project := provisioned(t)
	res := run(t, project, cmdutil.OutputText, "", false, "--confirm", "test")
	if res.err != nil {
		t.Fatalf("destroy: %v\n%s", res.err, res.stderr)
	}
	out := res.stdout.String()
	for _, want := range []string{
		"Plan for test: 0 to add, 0 to change, 3 to destroy.",
		"terraform_data.bucket (bucket) will be destroyed",
		"terraform_data.database (database) will be destroyed",
		"Destroyed test.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if _, err := config.LoadOutputs(project, "test"); !errors.As(err, new(*config.NoOutputsError)) {
		t.Errorf("outputs.json survived the destroy: %v", err)
	}
	// Destroying again finds nothing to do.
	res = run(t, project, cmdutil.OutputText, "", false, "--auto-approve")
	if res.err != nil || !strings.Contains(res.stdout.String(), "Nothing to destroy in test.") {
		t.Errorf("second destroy: %v\n%s", res.err, res.stdout)
	}
}

func TestDestroyAsksForTheName(t *testing.T) {
	project := provisioned(t)

	res := run(t, project, cmdutil.OutputText, "yes\n", true)
	if res.err == nil || !strings.Contains(res.err.Error(), "nothing was destroyed") {
		t.Fatalf("wrong name: error = %v", res.err)
	}
	if !strings.Contains(res.stderr.String(), `Type "test" to destroy it`) {
		t.Errorf("no prompt:\n%s", res.stderr)
	}
	if _, err := config.LoadOutputs(project, "test"); err != nil {
		t.Errorf("outputs gone although nothing was destroyed: %v", err)
	}

	res = run(t, project, cmdutil.OutputJSON, "test\n", true)
	if res.err != nil {
		t.Fatalf("right name: %v\n%s", res.err, res.stderr)
	}
	var got destroy.Result
	if err := json.Unmarshal([]byte(res.stdout.String()), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
	}
	if !got.Destroyed || got.Plan.Destroy != 3 || len(got.Plan.DataLoss) != 2 {
		t.Errorf("result = %+v", got)
	}
	if !strings.Contains(res.stderr.String(), "WARNING") {
		t.Errorf("the data-loss warning is missing from stderr in JSON mode:\n%s", res.stderr)
	}
}

func TestDestroyDryRunKeepsEverything(t *testing.T) {
	project := provisioned(t)
	res := run(t, project, cmdutil.OutputText, "", false, "--dry-run")
	if res.err != nil || !strings.Contains(res.stdout.String(), "Dry run: nothing was destroyed.") {
		t.Fatalf("dry run: %v\n%s", res.err, res.stdout)
	}
	if _, err := config.LoadOutputs(project, "test"); err != nil {
		t.Errorf("dry run removed the outputs: %v", err)
	}
}

func TestDestroyRefusals(t *testing.T) {
	project := tftest.Project(t, tftest.App, testYAML)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no terminal":   {nil, "pass --confirm test"},
		"wrong confirm": {[]string{"--confirm", "prod"}, `--confirm "prod" does not match --env "test"`},
	} {
		t.Run(name, func(t *testing.T) {
			res := run(t, project, cmdutil.OutputText, "", false, tc.args...)
			if cmdutil.ExitCode(res.err) != cmdutil.ExitUsage || !strings.Contains(res.err.Error(), tc.want) {
				t.Errorf("error = %v (exit %d), want a usage error with %q", res.err, cmdutil.ExitCode(res.err), tc.want)
			}
		})
	}
}

// What makes the command meaningless is said before any confirmation is
// asked for: `local` has no infrastructure, and an undefined environment none
// either.
func TestMeaninglessDestroyIsSaidBeforeAsking(t *testing.T) {
	project := tftest.Project(t, tftest.App, testYAML)
	for env, want := range map[string]string{
		"local":   "has no AWS infrastructure",
		"staging": `environment "staging" is not defined`,
	} {
		f, res := factory(project, cmdutil.OutputText, "", false)
		f.Global.Env = env
		cmd := destroy.NewCmdDestroy(f, nil)
		cmd.SetArgs(nil)
		err := cmd.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "confirmation") {
			t.Errorf("--env %s in a pipe: error %v, want %q before any confirmation\n%s", env, err, want, res.stderr)
		}
	}
}
