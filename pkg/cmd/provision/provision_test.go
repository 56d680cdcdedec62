package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/provision"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/tf"
	"github.com/empctl/empctl/pkg/tf/tftest"
)

const testYAML = `
environments:
  test:
    region: eu-west-1
    vars:
      desired_count: 2
`

type invocation struct {
	env, output, stdin string
	tty                bool
}

type result struct {
	stdout, stderr *tftest.Buffer
	err            error
}

// command builds provision as the root command would run it.
func command(project string, inv invocation, args ...string) (*cobra.Command, *result) {
	if inv.env == "" {
		inv.env = "test"
	}
	if inv.output == "" {
		inv.output = cmdutil.OutputText
	}
	res := &result{stdout: tftest.NewBuffer(), stderr: tftest.NewBuffer()}
	ios := &iostreams.IOStreams{In: strings.NewReader(inv.stdin), Out: res.stdout, ErrOut: res.stderr}
	ios.SetTTY(inv.tty, false)
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: inv.env, Output: inv.output, Dir: project}}
	cmd := provision.NewCmdProvision(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(res.stdout)
	cmd.SetErr(res.stderr)
	return cmd, res
}

func run(t *testing.T, project string, inv invocation, args ...string) *result {
	t.Helper()
	withAWS(t)
	cmd, res := command(project, inv, args...)
	res.err = cmd.ExecuteContext(context.Background())
	return res
}

// withAWS points the AWS SDK at a moto server for the test, unless the test
// did already: provision checks the credentials before Terraform runs.
func withAWS(t *testing.T) {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		testenv.MotoEnv(t)
	}
}

func TestProvisionAppliesAndSavesOutputs(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.App, testYAML)

	res := run(t, project, invocation{}, "--yes")
	if res.err != nil {
		t.Fatalf("provision: %v\n%s", res.err, res.stderr)
	}
	for _, want := range []string{"Plan for test: 3 to add, 0 to change, 0 to destroy.", "Applied. Outputs saved to", "https://d111111abcdef8.cloudfront.net"} {
		if !strings.Contains(res.stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	if !strings.Contains(res.stderr.String(), "terraform_data.database: Creation complete") {
		t.Errorf("Terraform's progress was not streamed to stderr:\n%s", res.stderr)
	}
	// terraform-exec's `terraform version -json` is not shown; the version is
	// named once, in words.
	if out := res.stdout.String() + res.stderr.String(); strings.Contains(out, "terraform_version") || strings.Count(out, "terraform "+tf.PinnedVersion) != 1 {
		t.Errorf("want no `version -json` blob and \"terraform %s\" once:\n%s\n%s", tf.PinnedVersion, res.stdout, res.stderr)
	}
	o, err := config.LoadOutputs(project, "test")
	if err != nil {
		t.Fatal(err)
	}
	if o.ClusterName != "empctl-test" || o.Region != "eu-west-1" || o.WebappBucket != "test-webapp" || len(o.Missing()) != 0 {
		t.Errorf("saved outputs = %+v", o)
	}
	data, _ := os.ReadFile(filepath.Join(config.EnvDir(project, "test"), config.OutputsFile))
	if strings.Contains(string(data), "s3cr3t") {
		t.Error("a sensitive output was written to outputs.json")
	}
	if _, err := os.Stat(filepath.Join(config.EnvDir(project, "test"), tf.PlanFile)); err == nil {
		t.Error("the plan file was left behind")
	}

	// The environment's vars reached Terraform.
	vars, _ := os.ReadFile(filepath.Join(config.EnvDir(project, "test"), tf.VarsFile))
	if !strings.Contains(string(vars), `"desired_count": 2`) {
		t.Errorf("variables file = %s", vars)
	}

	// A second run changes nothing and still refreshes outputs.json.
	res = run(t, project, invocation{}, "--yes")
	if res.err != nil {
		t.Fatalf("second provision: %v\n%s", res.err, res.stderr)
	}
	if !strings.Contains(res.stdout.String(), "no changes") || !strings.Contains(res.stdout.String(), "Up to date.") {
		t.Errorf("second run stdout:\n%s", res.stdout)
	}
}

func TestProvisionJSON(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.App, testYAML)
	res := run(t, project, invocation{output: cmdutil.OutputJSON}, "--yes")
	if res.err != nil {
		t.Fatalf("provision: %v\n%s", res.err, res.stderr)
	}
	var got provision.Result
	if err := json.Unmarshal([]byte(res.stdout.String()), &got); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, res.stdout)
	}
	if !got.Applied || got.Plan.Add != 3 || got.Outputs == nil || got.Outputs.ServiceName != "server" || got.OutputsFile == "" {
		t.Errorf("result = %+v", got)
	}
}

func TestProvisionRefusesWithoutTerminal(t *testing.T) {
	project := tftest.Project(t, tftest.App, testYAML)
	res := run(t, project, invocation{})
	if cmdutil.ExitCode(res.err) != cmdutil.ExitUsage || !strings.Contains(res.err.Error(), "--yes") {
		t.Fatalf("error = %v (exit %d), want a usage error naming --yes", res.err, cmdutil.ExitCode(res.err))
	}
	if _, err := os.Stat(filepath.Join(project, ".empctl")); err == nil {
		t.Error("Terraform ran although the command was refused")
	}
}

func TestProvisionAsksOnTerminal(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.App, testYAML)

	res := run(t, project, invocation{tty: true, stdin: "n\n"})
	if res.err == nil || !strings.Contains(res.err.Error(), "nothing was applied") {
		t.Fatalf("declined: error = %v", res.err)
	}
	if !strings.Contains(res.stderr.String(), "Apply this plan to test? [y/N]") {
		t.Errorf("no prompt on stderr:\n%s", res.stderr)
	}
	if _, err := config.LoadOutputs(project, "test"); !errors.As(err, new(*config.NoOutputsError)) {
		t.Errorf("outputs exist after declining: %v", err)
	}

	res = run(t, project, invocation{tty: true, stdin: "yes\n"})
	if res.err != nil {
		t.Fatalf("accepted: %v\n%s", res.err, res.stderr)
	}
	if _, err := config.LoadOutputs(project, "test"); err != nil {
		t.Errorf("no outputs after accepting: %v", err)
	}
}

func TestProvisionDryRun(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.App, testYAML)
	res := run(t, project, invocation{output: cmdutil.OutputJSON}, "--dry-run") // no terminal needed
	if res.err != nil {
		t.Fatalf("dry run: %v\n%s", res.err, res.stderr)
	}
	var got provision.Result
	if err := json.Unmarshal([]byte(res.stdout.String()), &got); err != nil {
		t.Fatal(err)
	}
	if !got.DryRun || got.Applied || got.Plan.Add != 3 || got.Outputs != nil {
		t.Errorf("result = %+v", got)
	}
	entries, _ := os.ReadDir(config.EnvDir(project, "test"))
	for _, e := range entries {
		if e.Name() == tf.PlanFile || e.Name() == config.OutputsFile || e.Name() == tf.StateFile {
			t.Errorf("dry run left %s", e.Name())
		}
	}
}

func TestProvisionWarnsBeforeReplacingTheDatabase(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.AppReplacingDatabase, testYAML)
	if res := run(t, project, invocation{}, "--yes"); res.err != nil {
		t.Fatalf("provision: %v\n%s", res.err, res.stderr)
	}
	yaml := testYAML + "      db_instance_class: db.r6g.large\n"
	if err := os.WriteFile(filepath.Join(project, "empctl.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, project, invocation{}, "--dry-run")
	if res.err != nil {
		t.Fatalf("dry run: %v\n%s", res.err, res.stderr)
	}
	out := res.stdout.String()
	for _, want := range []string{"1 to add, 0 to change, 1 to destroy", "WARNING", "terraform_data.database (database) will be destroyed and recreated empty"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "terraform_data.bucket") {
		t.Errorf("the untouched bucket is named in the warning:\n%s", out)
	}
}

func TestProvisionShowsReplacedTargetGroup(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.AppReplacingTargetGroup, testYAML)
	if res := run(t, project, invocation{}, "--yes"); res.err != nil {
		t.Fatalf("provision: %v\n%s", res.err, res.stderr)
	}
	yaml := testYAML + "      container_port: 9090\n"
	if err := os.WriteFile(filepath.Join(project, "empctl.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, project, invocation{}, "--dry-run")
	if res.err != nil {
		t.Fatalf("dry run: %v\n%s", res.err, res.stderr)
	}
	out := res.stdout.String()
	for _, want := range []string{
		"Plan for test: 1 to add, 0 to change, 1 to destroy.",
		"Replaced on the request path; the API can answer errors until the new one serves:",
		"terraform_data.target_group (target group): new one created first, old one destroyed after",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "WARNING") {
		t.Errorf("a target group holds no data, yet the plan warns of data loss:\n%s", out)
	}

	res = run(t, project, invocation{output: cmdutil.OutputJSON}, "--dry-run")
	if res.err != nil {
		t.Fatalf("dry run: %v\n%s", res.err, res.stderr)
	}
	var got provision.Result
	if err := json.Unmarshal([]byte(res.stdout.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	if len(got.Plan.Interruptions) != 1 || got.Plan.Interruptions[0].Serves != "target group" || !got.Plan.Interruptions[0].CreateFirst {
		t.Errorf("JSON interruptions = %+v", got.Plan.Interruptions)
	}
}

func TestProvisionCtrlCInterruptsTerraform(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.Slow, testYAML)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	withAWS(t)
	cmd, res := command(project, invocation{}, "--yes")
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	stop := make(chan struct{})
	time.AfterFunc(90*time.Second, func() { close(stop) }) // failsafe only
	if !res.stderr.WaitFor("Provisioning with 'local-exec'", stop) {
		t.Fatalf("the slow resource never started:\n%s", res.stderr)
	}
	cancel() // what main's signal.NotifyContext does on Ctrl-C
	err := <-done

	if !errors.As(err, new(*tf.InterruptedError)) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want an interrupted apply", err)
	}
	if !strings.Contains(res.stderr.String(), "Gracefully shutting down") {
		t.Errorf("Terraform was not interrupted gracefully:\n%s", res.stderr)
	}
	if _, err := config.LoadOutputs(project, "test"); !errors.As(err, new(*config.NoOutputsError)) {
		t.Errorf("outputs saved after an interrupted apply: %v", err)
	}
}

func TestProvisionReportsTerraformFailure(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.Failing, testYAML)
	res := run(t, project, invocation{}, "--yes")
	if res.err == nil || !strings.Contains(res.err.Error(), "terraform apply failed") {
		t.Fatalf("error = %v", res.err)
	}
	if !strings.Contains(res.stderr.String(), "cannot reach the widget API") {
		t.Errorf("Terraform's error is not on stderr:\n%s", res.stderr)
	}
	if cmdutil.ExitCode(res.err) != cmdutil.ExitError {
		t.Errorf("exit code = %d, want %d", cmdutil.ExitCode(res.err), cmdutil.ExitError)
	}
	if _, err := config.LoadOutputs(project, "test"); !errors.As(err, new(*config.NoOutputsError)) {
		t.Errorf("outputs saved after a failed apply: %v", err)
	}
}

func TestProvisionRejectsBadEnvironments(t *testing.T) {
	project := tftest.Project(t, tftest.App, testYAML)
	for env, want := range map[string]string{
		"local":   "the local environment runs on this machine",
		"staging": `environment "staging" is not defined in empctl.yaml: known environments: test`,
	} {
		res := run(t, project, invocation{env: env}, "--dry-run")
		if res.err == nil || !strings.Contains(res.err.Error(), want) {
			t.Errorf("--env %s: error = %v, want %q", env, res.err, want)
		}
	}
}

func TestProvisionWithoutTerraform(t *testing.T) {
	project := tftest.Project(t, tftest.App, testYAML)
	t.Setenv("PATH", t.TempDir())
	res := run(t, project, invocation{}, "--dry-run")
	if !errors.Is(res.err, tf.ErrNotFound) {
		t.Errorf("error = %v, want tf.ErrNotFound", res.err)
	}
	res = run(t, project, invocation{}, "--dry-run", "--terraform-path", filepath.Join(project, "no-such-terraform"))
	if res.err == nil || !strings.Contains(res.err.Error(), "is not an executable file") {
		t.Errorf("bad --terraform-path: error = %v", res.err)
	}
}

// --install-terraform finds a verified Terraform in its cache directory
// without downloading it again. (The download itself needs
// releases.hashicorp.com, which tests may not reach.)
func TestInstallTerraformUsesItsCache(t *testing.T) {
	bin := tftest.Binary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "Terraform v"+tf.PinnedVersion+"\n") {
		testenv.Missing(t, "terraform "+tf.PinnedVersion+" on PATH", "run .ci/run or `go install github.com/hashicorp/terraform@v"+tf.PinnedVersion+"`")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	dir := filepath.Join(cache, "empctl", "terraform-"+tf.PinnedVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "terraform")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())

	project := tftest.Project(t, tftest.App, testYAML)
	res := run(t, project, invocation{}, "--dry-run", "--install-terraform")
	if res.err != nil {
		t.Fatalf("provision --install-terraform: %v\n%s", res.err, res.stderr)
	}
	if !strings.Contains(res.stderr.String(), "Installing Terraform "+tf.PinnedVersion) || !strings.Contains(res.stdout.String(), "3 to add") {
		t.Errorf("stderr:\n%s\nstdout:\n%s", res.stderr, res.stdout)
	}
}

// Terraform only warns about an undeclared variable: a misspelt one would
// leave production on the default. It is refused before any plan.
func TestProvisionRefusesAMisspeltVariable(t *testing.T) {
	project := tftest.Project(t, tftest.App, strings.Replace(testYAML, "desired_count", "desired_cuont", 1))
	res := run(t, project, invocation{}, "--dry-run")
	if res.err == nil || !strings.Contains(res.err.Error(), `vars.desired_cuont`) || !strings.Contains(res.err.Error(), `did you mean "desired_count"?`) {
		t.Fatalf("error = %v, want the misspelt variable named with a suggestion", res.err)
	}
	if strings.Contains(res.stderr.String(), "Initializing Terraform") {
		t.Errorf("Terraform ran before the variables were checked:\n%s", res.stderr)
	}
}

// Without AWS credentials provision says so, and what to run, before
// Terraform starts: its AWS provider would say it after init, as a chain of
// the SDK's errors.
func TestProvisionWithoutCredentialsSaysSoBeforeTerraform(t *testing.T) {
	tftest.Binary(t)
	project := tftest.Project(t, tftest.App, testYAML)
	for k, v := range testenv.MotoVars("http://127.0.0.1:1") {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	cmd, res := command(project, invocation{}, "--dry-run")
	res.err = cmd.ExecuteContext(context.Background())
	if res.err == nil || !strings.Contains(res.err.Error(), "no AWS credentials for env test") || !strings.Contains(res.err.Error(), "aws configure") {
		t.Fatalf("error = %v, want the missing credentials named with what to run", res.err)
	}
	if strings.Contains(res.stderr.String(), "Initializing Terraform") {
		t.Errorf("Terraform started before the credentials were checked:\n%s", res.stderr)
	}
}
