package tf_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/tf"
	"github.com/empctl/empctl/pkg/tf/tftest"
)

func newRunner(t *testing.T, project string, vars map[string]any, out *tftest.Buffer) *tf.Runner {
	t.Helper()
	r, err := tf.New(tf.Options{
		ExecPath:  tftest.Binary(t),
		ModuleDir: filepath.Join(project, "terraform"),
		WorkDir:   filepath.Join(project, ".empctl", "test"),
		Vars:      vars,
		Stdout:    out,
		Stderr:    out,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func appVars(extra map[string]any) map[string]any {
	vars := map[string]any{"environment": "test", "region": "eu-west-1"}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func TestPlanApplyOutputs(t *testing.T) {
	ctx := context.Background()
	project := tftest.Project(t, tftest.AppReplacingDatabase, "")
	out := tftest.NewBuffer()
	r := newRunner(t, project, appVars(nil), out)

	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Summary
	if s.Add != 3 || s.Change != 0 || s.Destroy != 0 || len(s.DataLoss) != 0 {
		t.Errorf("first plan summary = %+v", s)
	}
	if _, err := os.Stat(plan.Path); err != nil {
		t.Errorf("saved plan missing: %v", err)
	}
	if !strings.Contains(out.String(), "Plan: 3 to add") {
		t.Errorf("Terraform's plan output was not streamed:\n%s", out)
	}
	if err := r.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(plan.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plan file left behind after apply: %v", err)
	}
	outputs, err := r.Outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(outputs["cluster_name"]) != `"empctl-test"` {
		t.Errorf("cluster_name = %s", outputs["cluster_name"])
	}
	if _, ok := outputs["not_for_files"]; ok {
		t.Error("a sensitive output was returned")
	}

	// State and Terraform's data stay in the environment's directory, none in the module.
	for _, p := range []string{".empctl/test/terraform.tfstate", ".empctl/test/terraform-data", ".empctl/test/terraform.tfvars.json"} {
		if _, err := os.Stat(filepath.Join(project, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"terraform/terraform.tfstate", "terraform/.terraform"} {
		if _, err := os.Stat(filepath.Join(project, p)); err == nil {
			t.Errorf("%s exists: environments would share it", p)
		}
	}

	// Replacing the database is called out.
	r = newRunner(t, project, appVars(map[string]any{"db_instance_class": "db.r6g.large"}), out)
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err = r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s = plan.Summary
	if s.Add != 1 || s.Destroy != 1 || len(s.DataLoss) != 1 || s.DataLoss[0].Address != "terraform_data.database" ||
		s.DataLoss[0].Action != "replace" || s.DataLoss[0].Kind != "database" {
		t.Errorf("replace plan summary = %+v", s)
	}
	r.Discard(plan)

	// A destroy plan names every stateful resource.
	plan, err = r.Plan(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	s = plan.Summary
	if s.Destroy != 3 || len(s.DataLoss) != 2 || s.DataLoss[0].Kind != "bucket" || s.DataLoss[1].Kind != "database" {
		t.Errorf("destroy plan summary = %+v", s)
	}
	if err := r.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	plan, err = r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary.Add != 3 {
		t.Errorf("after destroy, plan adds %d, want 3", plan.Summary.Add)
	}
}

// A replaced target group is named as an interruption of the request path,
// not as data loss, and the summary says the new one comes first.
func TestPlanNamesReplacedTargetGroup(t *testing.T) {
	ctx := context.Background()
	project := tftest.Project(t, tftest.AppReplacingTargetGroup, "")
	out := tftest.NewBuffer()
	r := newRunner(t, project, appVars(nil), out)
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Summary.Interruptions) != 0 {
		t.Errorf("creating a target group interrupts nothing: %+v", plan.Summary.Interruptions)
	}
	if err := r.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}

	r = newRunner(t, project, appVars(map[string]any{"container_port": 9090}), out)
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err = r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Discard(plan)
	s := plan.Summary
	want := tf.Change{Address: "terraform_data.target_group", Type: "terraform_data", Action: "replace", Serves: "target group", CreateFirst: true}
	if s.Add != 1 || s.Destroy != 1 || len(s.DataLoss) != 0 || len(s.Interruptions) != 1 || s.Interruptions[0] != want {
		t.Errorf("target group replacement summary = %+v, want one interruption %+v", s, want)
	}
}

func TestApplyRunsTheSavedPlan(t *testing.T) {
	ctx := context.Background()
	project := tftest.Project(t, tftest.App, "")
	r := newRunner(t, project, appVars(map[string]any{"desired_count": 3}), tftest.NewBuffer())
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Variables changing after the plan was shown must not change what runs.
	vars := filepath.Join(project, ".empctl", "test", tf.VarsFile)
	if err := os.WriteFile(vars, []byte(`{"environment":"test","region":"eu-west-1","desired_count":7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(project, ".empctl", "test", tf.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Resources []struct {
			Name      string
			Instances []struct {
				Attributes struct{ Input struct{ Value any } }
			}
		}
	}
	if err := json.Unmarshal(state, &st); err != nil {
		t.Fatal(err)
	}
	applied := any(nil)
	for _, res := range st.Resources {
		if res.Name == "service" {
			applied = res.Instances[0].Attributes.Input.Value
		}
	}
	if applied != float64(3) {
		t.Errorf("applied desired_count = %v, want the planned 3", applied)
	}
}

func TestInterruptStopsTerraformCleanly(t *testing.T) {
	project := tftest.Project(t, tftest.Slow, "")
	out := tftest.NewBuffer()
	r := newRunner(t, project, appVars(nil), out)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- r.Apply(ctx, plan) }()
	stop := make(chan struct{})
	time.AfterFunc(90*time.Second, func() { close(stop) }) // failsafe only; sleep 120 never finishes first
	if !out.WaitFor("terraform_data.slow: Provisioning with 'local-exec'", stop) {
		t.Fatalf("the slow resource never started:\n%s", out)
	}
	cancel()
	err = <-done
	t.Logf("Terraform's output:\n%s", out)

	var interrupted *tf.InterruptedError
	if !errors.As(err, &interrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply() error = %v, want an InterruptedError wrapping context.Canceled", err)
	}
	// Terraform got SIGINT and shut down on its own, rather than being killed.
	if !strings.Contains(out.String(), "Interrupt received") {
		t.Errorf("Terraform did not report the interrupt:\n%s", out)
	}
	// The state it saved is intact and holds what was created before the interrupt.
	data, err := os.ReadFile(filepath.Join(project, ".empctl", "test", tf.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Resources []struct{ Name string } }
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state file is not valid JSON after the interrupt: %v", err)
	}
	var names []string
	for _, res := range st.Resources {
		names = append(names, res.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "first") {
		t.Errorf("state holds %v, want terraform_data.first", names)
	}
	// The state is not left locked: a new plan runs.
	r = newRunner(t, project, appVars(nil), tftest.NewBuffer())
	if _, err := r.Plan(context.Background(), false); err != nil {
		t.Errorf("plan after the interrupt: %v", err)
	}
}

func TestTerraformFailureIsReported(t *testing.T) {
	ctx := context.Background()
	project := tftest.Project(t, tftest.Failing, "")
	out := tftest.NewBuffer()
	r := newRunner(t, project, appVars(nil), out)
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	plan, err := r.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Terraform's messages were streamed, so the error points at them.
	err = r.Apply(ctx, plan)
	if err == nil || err.Error() != "terraform apply failed (exit status 1): see Terraform's messages above" {
		t.Errorf("Apply() error = %v", err)
	}
	if !strings.Contains(out.String(), "cannot reach the widget API") {
		t.Errorf("Terraform's error was not streamed:\n%s", out)
	}
	if errors.As(err, new(*tf.InterruptedError)) {
		t.Error("a failure was reported as an interrupt")
	}

	// Without a stream for them, the error carries Terraform's messages.
	quiet, err := tf.New(tf.Options{
		ExecPath:  tftest.Binary(t),
		ModuleDir: filepath.Join(project, "terraform"),
		WorkDir:   filepath.Join(project, ".empctl", "test"),
		Vars:      appVars(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if plan, err = quiet.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	err = quiet.Apply(ctx, plan)
	if err == nil || !strings.Contains(err.Error(), "terraform apply failed") || !strings.Contains(err.Error(), "cannot reach the widget API") {
		t.Errorf("Apply() error without streams = %v", err)
	}
}

func TestPlanErrorNamesTheProblem(t *testing.T) {
	ctx := context.Background()
	project := tftest.Project(t, tftest.App, "")
	out := tftest.NewBuffer()
	r := newRunner(t, project, map[string]any{"environment": "test"}, out) // no region
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := r.Plan(ctx, false)
	if err == nil || !strings.Contains(err.Error(), "terraform plan failed") {
		t.Errorf("Plan() error = %v", err)
	}
	if !strings.Contains(out.String(), `variable "region"`) {
		t.Errorf("Terraform's message does not name the variable:\n%s", out)
	}
	if _, statErr := os.Stat(filepath.Join(project, ".empctl", "test", tf.PlanFile)); statErr == nil {
		t.Error("a failed plan left a plan file")
	}
}

func TestRemoteBackendNeedsSettings(t *testing.T) {
	project := tftest.Project(t, `terraform {
  backend "s3" {}
}
`, "")
	r := newRunner(t, project, appVars(nil), tftest.NewBuffer())
	err := r.Init(context.Background())
	if err == nil || !strings.Contains(err.Error(), `uses the "s3" backend`) || !strings.Contains(err.Error(), "empctl.yaml") {
		t.Errorf("Init() error = %v", err)
	}
}

func TestNewRejectsMissingModule(t *testing.T) {
	_, err := tf.New(tf.Options{ExecPath: "/bin/true", ModuleDir: filepath.Join(t.TempDir(), "terraform"), WorkDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "terraform configuration directory") {
		t.Errorf("New() error = %v", err)
	}
}
