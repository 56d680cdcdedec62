package terraform_test

// What a first real apply, or a later change, would meet on AWS that no
// emulator shows (issue 17, items 10-14).

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/empctl/empctl/pkg/tf/tftest"
)

// source returns a node's HCL text.
func (m *module) source(n hclsyntax.Node) string {
	r := n.Range()
	return string(r.SliceBytes(m.files[r.Filename]))
}

// Subnets never land in a zone where CloudFront has no VPC origins; the list
// is by zone ID and names its source.
func TestZonesWithoutVPCOriginsAreLeftOut(t *testing.T) {
	m := load(t)
	zones := m.block("data.aws_availability_zones.available")
	if got := m.refs(zones, "exclude_zone_ids"); len(got) != 1 || got[0] != "var.vpc_origin_unsupported_zone_ids" {
		t.Errorf("exclude_zone_ids = %v, want var.vpc_origin_unsupported_zone_ids", got)
	}
	ids := m.vars["vpc_origin_unsupported_zone_ids"]
	for _, id := range []string{"use1-az3", "apne1-az3"} {
		if !ids.Type().IsTupleType() || !slices.ContainsFunc(ids.AsValueSlice(), func(v cty.Value) bool { return v.AsString() == id }) {
			t.Errorf("vpc_origin_unsupported_zone_ids default %#v lacks %s", ids, id)
		}
	}
	if !strings.Contains(string(m.files["variables.tf"]), "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html") {
		t.Error("variables.tf does not name the source of the unsupported zone IDs")
	}
	_, errs := terraformRun(t, "", map[string]any{"environment": "prod", "region": "us-east-1", "vpc_origin_unsupported_zone_ids": []string{"us-east-1a"}})
	if want := m.validationMessages("vpc_origin_unsupported_zone_ids")[0]; !slices.Contains(errs, want) {
		t.Errorf("a zone name was not refused with %q: %q", want, errs)
	}
}

// aws_elb_service_account fails the plan in a region missing from the
// provider's table: it is read only in those regions, and the log-delivery
// service principal is admitted everywhere.
func TestELBAccountOnlyWhereTheProviderKnowsIt(t *testing.T) {
	m := load(t)
	var locals string
	f, _ := hclsyntax.ParseConfig(m.files["logs.tf"], "logs.tf", hcl.InitialPos)
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "locals" && b.Body.Attributes["elb_account"] != nil {
			locals = string(b.Range().SliceBytes(m.files["logs.tf"]))
		}
	}
	if locals == "" {
		t.Fatal("logs.tf has no locals block with elb_account")
	}
	if got := m.refs(m.block("data.aws_elb_service_account.this"), "count"); !slices.Contains(got, "local.elb_account") {
		t.Errorf("aws_elb_service_account's count = %v, want it to depend on local.elb_account", got)
	}
	policy := m.block("data.aws_iam_policy_document.logs_bucket")
	for _, b := range policy.Body.Blocks {
		if b.Type != "dynamic" {
			continue
		}
		content := m.nested(b, "content")
		sid, _ := content.Body.Attributes["sid"].Expr.Value(nil)
		want := map[string]string{"AlbAccessLogs": "local.elb_account", "AlbAccessLogsDelivery": "var.alb_access_logs"}[sid.AsString()]
		if got := strings.Join(m.refs(b, "for_each"), ","); got != want {
			t.Errorf("statement %s is there for %s, want %s", sid.AsString(), got, want)
		}
	}
	extra := locals + "\noutput \"elb_account\" {\n  value = local.elb_account\n}\n"
	for region, want := range map[string]bool{"eu-west-1": true, "us-east-1": true, "eu-central-2": false, "ap-southeast-4": false, "il-central-1": false, "ca-west-1": false, "me-central-1": false} {
		got, errs := terraformRun(t, extra, map[string]any{"environment": "prod", "region": region, "alb_access_logs": true})
		if len(errs) > 0 || got["elb_account"] != want {
			t.Errorf("%s: ELB account read = %v, want %v (%q)", region, got["elb_account"], want, errs)
		}
	}
}

// Changing container_port after the first apply is refused with how to do it,
// unless allow_container_port_change accepts the outage; run by Terraform on
// the guard and the target group's precondition, applied one after another.
func TestContainerPortChangeIsRefused(t *testing.T) {
	m := load(t)
	tg := m.block("resource.aws_lb_target_group.app")
	var pre *hclsyntax.Block
	for _, b := range m.nested(tg, "lifecycle").Body.Blocks {
		if b.Type == "precondition" && strings.Contains(m.source(b), "terraform_data.container_port") {
			pre = b
		}
	}
	if pre == nil {
		t.Fatal("the target group has no precondition on terraform_data.container_port")
	}
	msg, _ := pre.Body.Attributes["error_message"].Expr.Value(nil)
	config := m.source(m.block("resource.terraform_data.container_port")) + "\n" +
		"resource \"terraform_data\" \"target_group\" {\n  input = var.container_port\n  lifecycle {\n" + m.source(pre) + "\n  }\n}\n"
	src, err := os.ReadFile("variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	bin := tftest.Binary(t)
	dir := t.TempDir()
	for name, data := range map[string]string{"variables.tf": string(src), "main.tf": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tf := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"-chdir=" + dir}, args...)...)
		cmd.Env = append(os.Environ(), "TF_DATA_DIR="+filepath.Join(dir, ".terraform"), "CHECKPOINT_DISABLE=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := tf("init", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	apply := func(port int, allow bool) (string, error) {
		vars, _ := json.Marshal(map[string]any{"environment": "prod", "region": "eu-west-1", "container_port": port, "allow_container_port_change": allow})
		if err := os.WriteFile(filepath.Join(dir, "test.tfvars.json"), vars, 0o644); err != nil {
			t.Fatal(err)
		}
		return tf("apply", "-auto-approve", "-input=false", "-no-color", "-var-file=test.tfvars.json")
	}
	// The message is wrapped in the output; compare without line breaks.
	refused := func(out string) bool {
		return strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(msg.AsString()), " "))
	}
	for i, step := range []struct {
		port      int
		allow, ok bool
		what      string
	}{
		{8080, false, true, "the first apply"},
		{8080, false, true, "an apply without a change"},
		{9090, false, false, "a changed port"},
		{9090, true, true, "a changed port with the outage accepted"},
		{9090, false, true, "the flag back off"},
		{8080, false, false, "a second change"},
	} {
		out, err := apply(step.port, step.allow)
		switch {
		case step.ok && err != nil:
			t.Fatalf("step %d, %s: %v\n%s", i, step.what, err, out)
		case !step.ok && (err == nil || !refused(out)):
			t.Fatalf("step %d, %s: not refused with the precondition's message (err %v)\n%s", i, step.what, err, out)
		}
	}
}

// MySQL 8.4 (LTS) with Extended Support chosen explicitly, and the exported
// slow-query log actually written.
func TestDatabaseVersionAndSlowQueryLog(t *testing.T) {
	m := load(t)
	db := m.block("resource.aws_db_instance.this")
	wantValue(t, "engine_lifecycle_support", m.value(db, "engine_lifecycle_support"), cty.StringVal("open-source-rds-extended-support-disabled"))
	exports := m.value(db, "enabled_cloudwatch_logs_exports")
	if !slices.ContainsFunc(exports.AsValueSlice(), func(v cty.Value) bool { return v.AsString() == "slowquery" }) {
		return // not exported: nothing to turn on
	}
	if got := strings.Join(m.refs(db, "parameter_group_name"), ""); got != "aws_db_parameter_group.this.name" {
		t.Fatalf("parameter_group_name = %q: the slow-query log it exports stays empty with RDS's default group", got)
	}
	pg := m.block("resource.aws_db_parameter_group.this")
	wantValue(t, "parameter group family", m.value(pg, "family"), cty.StringVal("mysql8.4"))
	params := map[string]string{}
	for _, b := range pg.Body.Blocks {
		if b.Type == "parameter" {
			params[m.value(b, "name").AsString()] = m.value(b, "value").AsString()
		}
	}
	for name, want := range map[string]string{"slow_query_log": "1", "log_output": "FILE"} {
		if params[name] != want {
			t.Errorf("parameter %s = %q, want %q", name, params[name], want)
		}
	}
	wantValue(t, "parameter group create_before_destroy", m.value(m.nested(pg, "lifecycle"), "create_before_destroy"), cty.True)
}

// A CIDR block without "/" gets a message that says so, not Terraform's
// "Invalid index" from the other validation.
func TestCIDRWithoutPrefixLength(t *testing.T) {
	m := load(t)
	_, errs := terraformRun(t, "", map[string]any{"environment": "prod", "region": "eu-west-1", "vpc_cidr": "10.0.0.0", "alb_ingress_cidr_blocks": []string{"10.8.0.0"}})
	want := []string{m.validationMessages("vpc_cidr")[0], m.validationMessages("alb_ingress_cidr_blocks")[0]}
	slices.Sort(want)
	slices.Sort(errs)
	if !slices.Equal(errs, want) {
		t.Errorf("errors %q, want exactly %q", errs, want)
	}
	for _, msg := range want {
		if !strings.Contains(msg, "prefix length") {
			t.Errorf("%q does not say the prefix length is missing", msg)
		}
	}
}

// Untagged images never expire (TestECRLifecycleKeepsTaggedReleases): the
// variable's description must not say otherwise.
func TestECRKeepImagesDescription(t *testing.T) {
	m := load(t)
	desc, _ := m.block("variable.ecr_keep_images").Body.Attributes["description"].Expr.Value(nil)
	if regexp.MustCompile(`(?i)untagged[^.;]*(go after|expire|deleted|removed)`).MatchString(desc.AsString()) &&
		!strings.Contains(desc.AsString(), "never expire") {
		t.Errorf("ecr_keep_images says untagged images expire: %q", desc.AsString())
	}
}
