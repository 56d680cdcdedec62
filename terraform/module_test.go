// Tests of the invariants terraform/ must keep (issue 5), read from the HCL
// itself: Terraform cannot validate or plan it here without the AWS provider.
package terraform_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/empctl/empctl/pkg/cmd/destroy"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/tf/tftest"
)

// The server's defaults (issue 2): SIGTERM starts a 2 s drain, then Shutdown
// gets a 20 s deadline.
const serverDrainAndShutdownSeconds = 2 + 20

type module struct {
	t         *testing.T
	files     map[string][]byte
	blocks    map[string]*hclsyntax.Block // "resource.aws_x.name", "data.aws_x.name", "variable.x", "output.x"
	terraform []*hclsyntax.Block
	vars      map[string]cty.Value // variable defaults
}

func load(t *testing.T) *module {
	t.Helper()
	paths, err := filepath.Glob("*.tf")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files: %v", err)
	}
	m := &module{t: t, files: map[string][]byte{}, blocks: map[string]*hclsyntax.Block{}, vars: map[string]cty.Value{}}
	parser := hclparse.NewParser()
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m.files[p] = src
		f, diags := parser.ParseHCL(src, p)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", p, diags)
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			switch b.Type {
			case "terraform":
				m.terraform = append(m.terraform, b)
				continue
			case "locals":
				continue
			}
			key := b.Type + "." + strings.Join(b.Labels, ".")
			if _, dup := m.blocks[key]; dup {
				t.Fatalf("%s declared twice", key)
			}
			m.blocks[key] = b
		}
	}
	for key, b := range m.blocks {
		if name, ok := strings.CutPrefix(key, "variable."); ok {
			if def, ok := b.Body.Attributes["default"]; ok {
				v, diags := def.Expr.Value(nil)
				if diags.HasErrors() {
					t.Fatalf("variable %s default: %s", name, diags)
				}
				m.vars[name] = v
			}
		}
	}
	return m
}

func (m *module) block(key string) *hclsyntax.Block {
	m.t.Helper()
	b, ok := m.blocks[key]
	if !ok {
		m.t.Fatalf("%s is missing", key)
	}
	return b
}

// nested returns the first nested block of that type, or fails.
func (m *module) nested(b *hclsyntax.Block, types ...string) *hclsyntax.Block {
	m.t.Helper()
	for _, typ := range types {
		found, ok := nestedBlock(b, typ)
		if !ok {
			m.t.Fatalf("%s %v has no %s block", b.Type, b.Labels, typ)
		}
		b = found
	}
	return b
}

// nestedBlock returns the first nested block of that type, if any.
func nestedBlock(b *hclsyntax.Block, typ string) (*hclsyntax.Block, bool) {
	for _, inner := range b.Body.Blocks {
		if inner.Type == typ {
			return inner, true
		}
	}
	return nil, false
}

func (m *module) ctx() *hcl.EvalContext {
	return &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(m.vars)}}
}

// value evaluates an attribute with the variables at their defaults.
func (m *module) value(b *hclsyntax.Block, name string) cty.Value {
	m.t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		m.t.Fatalf("%s %v has no %s", b.Type, b.Labels, name)
	}
	v, diags := a.Expr.Value(m.ctx())
	if diags.HasErrors() {
		m.t.Fatalf("%s %v: %s: %s", b.Type, b.Labels, name, diags)
	}
	return v
}

// refs lists what an attribute refers to, e.g. "aws_security_group.tasks.id".
func (m *module) refs(b *hclsyntax.Block, name string) []string {
	m.t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		m.t.Fatalf("%s %v has no %s", b.Type, b.Labels, name)
	}
	return traversals(a.Expr)
}

func traversals(e hclsyntax.Expression) []string {
	var out []string
	for _, tr := range e.Variables() {
		var parts []string
		for _, step := range tr {
			switch s := step.(type) {
			case hcl.TraverseRoot:
				parts = append(parts, s.Name)
			case hcl.TraverseAttr:
				parts = append(parts, s.Name)
			case hcl.TraverseIndex:
				parts = append(parts, "[]")
			}
		}
		out = append(out, strings.ReplaceAll(strings.Join(parts, "."), ".[]", "[]"))
	}
	sort.Strings(out)
	return out
}

func wantValue(t *testing.T, what string, got cty.Value, want cty.Value) {
	t.Helper()
	if !got.IsKnown() || got.IsNull() || !got.Equals(want).True() {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// objectItems finds the items with that key in the object constructors inside
// e (e.g. a jsonencode).
func objectItems(e hclsyntax.Expression, key string) []hclsyntax.ObjectConsItem {
	var items []hclsyntax.ObjectConsItem
	_ = hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if obj, ok := n.(*hclsyntax.ObjectConsExpr); ok {
			for _, it := range obj.Items {
				if hcl.ExprAsKeyword(it.KeyExpr) == key {
					items = append(items, it)
				}
			}
		}
		return nil
	})
	return items
}

func TestThreeZones(t *testing.T) {
	m := load(t)
	wantValue(t, "var.az_count default", m.vars["az_count"], cty.NumberIntVal(3))
	wantValue(t, "var.desired_count default", m.vars["desired_count"], cty.NumberIntVal(3))
	for _, subnet := range []string{"resource.aws_subnet.public", "resource.aws_subnet.private"} {
		wantValue(t, subnet+" count", m.value(m.block(subnet), "count"), cty.NumberIntVal(3))
	}
	zones := m.block("data.aws_availability_zones.available")
	filter := m.nested(zones, "filter")
	wantValue(t, "zone filter", m.value(filter, "name"), cty.StringVal("opt-in-status"))
	wantValue(t, "zone filter values", m.value(filter, "values"), cty.TupleVal([]cty.Value{cty.StringVal("opt-in-not-required")}))
	if cond := m.nested(zones, "lifecycle", "postcondition").Body.Attributes["condition"]; cond == nil ||
		!strings.Contains(strings.Join(traversals(cond.Expr), ","), "var.az_count") {
		t.Error("no postcondition checks that the region has az_count zones")
	}
	svc := m.block("resource.aws_ecs_service.server")
	wantValue(t, "service desired_count", m.value(svc, "desired_count"), cty.NumberIntVal(3))
	wantValue(t, "availability_zone_rebalancing", m.value(svc, "availability_zone_rebalancing"), cty.StringVal("ENABLED"))
}

func TestZeroDowntimeRollout(t *testing.T) {
	m := load(t)
	svc := m.block("resource.aws_ecs_service.server")
	wantValue(t, "deployment_minimum_healthy_percent", m.value(svc, "deployment_minimum_healthy_percent"), cty.NumberIntVal(100))
	wantValue(t, "deployment_maximum_percent", m.value(svc, "deployment_maximum_percent"), cty.NumberIntVal(200))
	cb := m.nested(svc, "deployment_circuit_breaker")
	wantValue(t, "circuit breaker enable", m.value(cb, "enable"), cty.True)
	wantValue(t, "circuit breaker rollback", m.value(cb, "rollback"), cty.True)
	if grace := m.value(svc, "health_check_grace_period_seconds"); grace.LessThanOrEqualTo(cty.Zero).True() {
		t.Errorf("health_check_grace_period_seconds = %#v, want > 0", grace)
	}

	// terraform apply must never revert what `empctl deploy` rolled out, nor
	// the count a deploy set.
	ignore := m.nested(svc, "lifecycle").Body.Attributes["ignore_changes"]
	for _, attr := range []string{"task_definition", "desired_count"} {
		if ignore == nil || !slices.Contains(traversals(ignore.Expr), attr) {
			t.Errorf("aws_ecs_service.server does not ignore changes to %s", attr)
		}
	}

	tg := m.block("resource.aws_lb_target_group.app")
	wantValue(t, "target_type", m.value(tg, "target_type"), cty.StringVal("ip"))
	wantValue(t, "deregistration_delay", m.value(tg, "deregistration_delay"), cty.NumberIntVal(30))
	hc := m.nested(tg, "health_check")
	wantValue(t, "health check path", m.value(hc, "path"), cty.StringVal("/readyz"))
	wantValue(t, "health check interval", m.value(hc, "interval"), cty.NumberIntVal(5))
	wantValue(t, "healthy_threshold", m.value(hc, "healthy_threshold"), cty.NumberIntVal(2))
	wantValue(t, "unhealthy_threshold", m.value(hc, "unhealthy_threshold"), cty.NumberIntVal(2))
}

func TestStopTimeoutOutlastsServerShutdown(t *testing.T) {
	m := load(t)
	td := m.block("resource.aws_ecs_task_definition.server")
	items := objectItems(td.Body.Attributes["container_definitions"].Expr, "stopTimeout")
	if len(items) != 1 {
		t.Fatalf("container definition has %d stopTimeout keys, want 1", len(items))
	}
	v, diags := items[0].ValueExpr.Value(m.ctx())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if !v.GreaterThan(cty.NumberIntVal(serverDrainAndShutdownSeconds)).True() {
		t.Errorf("stopTimeout = %#v, want more than the server's %d s drain + shutdown", v, serverDrainAndShutdownSeconds)
	}
	if v.GreaterThan(cty.NumberIntVal(120)).True() {
		t.Errorf("stopTimeout = %#v exceeds Fargate's 120 s maximum", v)
	}
	// The variable's validation refuses a value that would cut the shutdown short.
	cond := m.nested(m.block("variable.stop_timeout"), "validation").Body.Attributes["condition"]
	for secs, want := range map[int64]bool{serverDrainAndShutdownSeconds: false, serverDrainAndShutdownSeconds + 1: true, 121: false} {
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"stop_timeout": cty.NumberIntVal(secs)})}}
		ok, diags := cond.Expr.Value(ctx)
		if diags.HasErrors() || ok.True() != want {
			t.Errorf("stop_timeout = %d: validation passes = %v, want %v (%s)", secs, ok.True(), want, diags)
		}
	}
}

// The server reads the RDS-managed secret itself (issue 10), so a rotation
// needs no restart: DB_SECRET_ARN in the environment, no injected secret.
func TestDatabaseSecretARN(t *testing.T) {
	m := load(t)
	td := m.block("resource.aws_ecs_task_definition.server")
	defs := td.Body.Attributes["container_definitions"].Expr
	var arn hclsyntax.Expression
	for _, it := range objectItems(defs, "name") {
		if v, diags := it.ValueExpr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.AsString() == "DB_SECRET_ARN" {
			for _, value := range objectItems(defs, "value") {
				if value.KeyExpr.Range().Start.Line == it.KeyExpr.Range().Start.Line {
					arn = value.ValueExpr
				}
			}
		}
	}
	if arn == nil || strings.Join(traversals(arn), ",") != "aws_db_instance.this.master_user_secret[].secret_arn" {
		t.Errorf("DB_SECRET_ARN is not the RDS-managed secret's ARN")
	}
	if items := objectItems(defs, "secrets"); len(items) > 0 {
		t.Error("the task definition injects secrets: ECS reads them once, at start, and a rotation breaks new connections")
	}
	for _, env := range []string{"DB_HOST", "DB_PORT", "DB_NAME", "PORT"} {
		if !strings.Contains(string(m.files["ecs.tf"]), `"`+env+`"`) {
			t.Errorf("the task definition does not set %s", env)
		}
	}
}

func TestDatabaseIsPrivateEncryptedWithManagedPassword(t *testing.T) {
	m := load(t)
	db := m.block("resource.aws_db_instance.this")
	wantValue(t, "engine", m.value(db, "engine"), cty.StringVal("mysql"))
	wantValue(t, "engine_version", m.value(db, "engine_version"), cty.StringVal("8.4"))
	wantValue(t, "publicly_accessible", m.value(db, "publicly_accessible"), cty.False)
	wantValue(t, "storage_encrypted", m.value(db, "storage_encrypted"), cty.True)
	wantValue(t, "manage_master_user_password", m.value(db, "manage_master_user_password"), cty.True)
	wantValue(t, "deletion_protection", m.value(db, "deletion_protection"), cty.True)
	wantValue(t, "skip_final_snapshot", m.value(db, "skip_final_snapshot"), cty.False)
	wantValue(t, "multi_az", m.value(db, "multi_az"), cty.True)
	if b := m.value(db, "backup_retention_period"); !b.GreaterThan(cty.Zero).True() {
		t.Errorf("backup_retention_period = %#v: automated backups are off", b)
	}
	if _, ok := db.Body.Attributes["password"]; ok {
		t.Error("aws_db_instance sets a password: RDS must manage it")
	}
	if got := m.refs(m.block("resource.aws_db_subnet_group.this"), "subnet_ids"); len(got) != 1 || got[0] != "aws_subnet.private" {
		t.Errorf("DB subnet group uses %v, want the private subnets", got)
	}
	// The database's security group admits the tasks and nothing else.
	for key, b := range m.blocks {
		if !strings.HasPrefix(key, "resource.aws_security_group_rule.") {
			continue
		}
		if strings.Join(m.refs(b, "security_group_id"), "") != "aws_security_group.db.id" {
			continue
		}
		wantValue(t, key+" type", m.value(b, "type"), cty.StringVal("ingress"))
		if _, ok := b.Body.Attributes["cidr_blocks"]; ok {
			t.Errorf("%s opens the database to CIDR blocks", key)
		}
		if got := strings.Join(m.refs(b, "source_security_group_id"), ""); got != "aws_security_group.tasks.id" {
			t.Errorf("%s admits %s, want only the tasks", key, got)
		}
	}
}

func TestBucketIsPrivateBehindOAC(t *testing.T) {
	m := load(t)
	pab := m.block("resource.aws_s3_bucket_public_access_block.webapp")
	for _, a := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
		wantValue(t, a, m.value(pab, a), cty.True)
	}
	for _, forbidden := range []string{"resource.aws_s3_bucket_website_configuration.webapp", "resource.aws_s3_bucket_acl.webapp"} {
		if _, ok := m.blocks[forbidden]; ok {
			t.Errorf("%s would expose the bucket outside CloudFront", forbidden)
		}
	}
	wantValue(t, "versioning", m.value(m.nested(m.block("resource.aws_s3_bucket_versioning.webapp"), "versioning_configuration"), "status"), cty.StringVal("Enabled"))
	m.block("resource.aws_s3_bucket_server_side_encryption_configuration.webapp")

	oac := m.block("resource.aws_cloudfront_origin_access_control.webapp")
	wantValue(t, "OAC signing_behavior", m.value(oac, "signing_behavior"), cty.StringVal("always"))
	dist := m.block("resource.aws_cloudfront_distribution.this")
	var s3Origin bool
	for _, b := range dist.Body.Blocks {
		if b.Type == "origin" && b.Body.Attributes["origin_access_control_id"] != nil {
			s3Origin = strings.Join(m.refs(b, "origin_access_control_id"), "") == "aws_cloudfront_origin_access_control.webapp.id" &&
				strings.Join(m.refs(b, "domain_name"), "") == "aws_s3_bucket.webapp.bucket_regional_domain_name"
		}
	}
	if !s3Origin {
		t.Error("the distribution does not read the bucket through the OAC")
	}
	// Only CloudFront, and only this distribution, may read objects.
	policy := string(m.files["webapp.tf"])
	for _, want := range []string{`identifiers = ["cloudfront.amazonaws.com"]`, `variable = "AWS:SourceArn"`, `values   = [aws_cloudfront_distribution.this.arn]`,
		// empctl's deploy records (the lock names its owner) are never served.
		`sid       = "CloudFrontNeverServesDeployRecords"`, `resources = ["${aws_s3_bucket.webapp.arn}/.empctl/*"]`} {
		if !strings.Contains(policy, want) {
			t.Errorf("bucket policy lacks %s", want)
		}
	}
}

func TestCloudFront(t *testing.T) {
	m := load(t)
	dist := m.block("resource.aws_cloudfront_distribution.this")
	wantValue(t, "default_root_object", m.value(dist, "default_root_object"), cty.StringVal("index.html"))
	for _, b := range dist.Body.Blocks {
		if b.Type == "custom_error_response" {
			t.Error("a distribution-wide custom_error_response would mask the API's 404s")
		}
	}
	def := m.nested(dist, "default_cache_behavior")
	wantValue(t, "default viewer_protocol_policy", m.value(def, "viewer_protocol_policy"), cty.StringVal("redirect-to-https"))
	if got := strings.Join(m.refs(m.nested(def, "function_association"), "function_arn"), ""); got != "aws_cloudfront_function.spa_routing.arn" {
		t.Errorf("default behaviour's function = %s, want the SPA routing function", got)
	}
	if m.refs(def, "response_headers_policy_id")[0] != "aws_cloudfront_response_headers_policy.security.id" {
		t.Error("default behaviour has no security headers policy")
	}
	api := m.nested(dist, "ordered_cache_behavior")
	wantValue(t, "API path_pattern", m.value(api, "path_pattern"), cty.StringVal("/api/*"))
	wantValue(t, "API viewer_protocol_policy", m.value(api, "viewer_protocol_policy"), cty.StringVal("redirect-to-https"))
	if got := strings.Join(m.refs(api, "cache_policy_id"), ""); got != "data.aws_cloudfront_cache_policy.caching_disabled.id" {
		t.Errorf("API cache policy = %s, want caching disabled", got)
	}
	if got := strings.Join(m.refs(api, "origin_request_policy_id"), ""); got != "aws_cloudfront_origin_request_policy.api.id" {
		t.Errorf("API origin request policy = %s, want aws_cloudfront_origin_request_policy.api", got)
	}
	for _, b := range api.Body.Blocks {
		if b.Type == "function_association" {
			t.Error("the SPA routing function must not run on /api/*")
		}
	}
	wantValue(t, "caching_disabled name", m.value(m.block("data.aws_cloudfront_cache_policy.caching_disabled"), "name"), cty.StringVal("Managed-CachingDisabled"))

	// With the default certificate CloudFront only accepts TLSv1 (and applies
	// its own policy); with an own certificate, TLS 1.2 at least.
	cert := m.nested(dist, "viewer_certificate")
	wantValue(t, "minimum_protocol_version (default certificate)", m.value(cert, "minimum_protocol_version"), cty.StringVal("TLSv1"))
	vars := maps.Clone(m.vars)
	vars["cloudfront_certificate_arn"] = cty.StringVal("arn:aws:acm:us-east-1:123456789012:certificate/abc")
	v, diags := cert.Body.Attributes["minimum_protocol_version"].Expr.Value(&hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)}})
	wantValue(t, fmt.Sprintf("minimum_protocol_version (own certificate) %s", diags), v, cty.StringVal("TLSv1.2_2021"))

	js, err := os.ReadFile("functions/spa-routing.js")
	if err != nil || !strings.Contains(string(js), "'/index.html'") {
		t.Errorf("SPA routing function: %v", err)
	}
}

func TestECR(t *testing.T) {
	m := load(t)
	repo := m.block("resource.aws_ecr_repository.server")
	wantValue(t, "image_tag_mutability", m.value(repo, "image_tag_mutability"), cty.StringVal("IMMUTABLE"))
	wantValue(t, "scan_on_push", m.value(m.nested(repo, "image_scanning_configuration"), "scan_on_push"), cty.True)
	wantValue(t, "ecr_keep_images default", m.vars["ecr_keep_images"], cty.NumberIntVal(30))
	wantValue(t, "containerInsights", m.value(m.nested(m.block("resource.aws_ecs_cluster.this"), "setting"), "value"), cty.StringVal("enabled"))
}

// Stateful resources survive a destroy unless the environment unlocks them,
// and destroy's help names every switch to flip.
func TestDestroyNeedsExplicitUnlock(t *testing.T) {
	m := load(t)
	unlocks := map[string]struct {
		block, attr string
		locked      cty.Value
	}{
		"db_deletion_protection":   {"resource.aws_db_instance.this", "deletion_protection", cty.True},
		"webapp_force_destroy":     {"resource.aws_s3_bucket.webapp", "force_destroy", cty.False},
		"ecr_force_delete":         {"resource.aws_ecr_repository.server", "force_delete", cty.False},
		"log_bucket_force_destroy": {"resource.aws_s3_bucket.logs", "force_destroy", cty.False},
	}
	help := destroy.NewCmdDestroy(&cmdutil.Factory{}, nil).Long
	if !strings.Contains(help, "alb_deletion_protection") {
		t.Error("empctl destroy --help does not mention alb_deletion_protection")
	}
	for name, u := range unlocks {
		wantValue(t, u.block+" "+u.attr, m.value(m.block(u.block), u.attr), u.locked)
		if got := m.refs(m.block(u.block), u.attr); len(got) != 1 || got[0] != "var."+name {
			t.Errorf("%s.%s = %v, want var.%s", u.block, u.attr, got, name)
		}
		if !strings.Contains(help, name) {
			t.Errorf("empctl destroy --help does not mention %s", name)
		}
	}
}

var credentialRE = regexp.MustCompile(`(?i)\b(access_key|secret_key|aws_access_key_id|aws_secret_access_key)\b|AKIA[0-9A-Z]{16}`)

func TestNoCredentials(t *testing.T) {
	m := load(t)
	for name, src := range m.files {
		if loc := credentialRE.FindIndex(src); loc != nil {
			t.Errorf("%s contains %q: credentials come from the AWS credential chain", name, src[loc[0]:loc[1]])
		}
	}
	provider := m.block("provider.aws")
	for _, a := range []string{"access_key", "secret_key", "token"} {
		if _, ok := provider.Body.Attributes[a]; ok {
			t.Errorf("provider sets %s", a)
		}
	}
}

func TestVersionsAndBackend(t *testing.T) {
	m := load(t)
	var required string
	for _, b := range m.terraform {
		if a, ok := b.Body.Attributes["required_version"]; ok {
			v, _ := a.Expr.Value(nil)
			required = v.AsString()
		}
	}
	if required != ">= 1.5.0" {
		t.Errorf("required_version = %q, want >= 1.5.0", required)
	}
	if !regexp.MustCompile(`(?m)^\s*#\s*backend "s3" \{`).Match(m.files["versions.tf"]) {
		t.Error("versions.tf lacks the commented S3 backend example")
	}
	for _, state := range []string{"terraform.tfstate", ".terraform"} {
		if _, err := os.Stat(state); err == nil {
			t.Errorf("%s is in the repository's terraform/", state)
		}
	}
}

func TestVariablesAreDocumented(t *testing.T) {
	m := load(t)
	for key, b := range m.blocks {
		if strings.HasPrefix(key, "variable.") || strings.HasPrefix(key, "output.") {
			if _, ok := b.Body.Attributes["description"]; !ok {
				t.Errorf("%s has no description", key)
			}
		}
		if strings.HasPrefix(key, "variable.") {
			if _, ok := b.Body.Attributes["type"]; !ok {
				t.Errorf("%s has no type", key)
			}
		}
	}
}

// Every field of config.Outputs has a Terraform output, so provision fills them all.
func TestOutputsCoverWhatEmpctlReads(t *testing.T) {
	m := load(t)
	// An empty Outputs misses every Terraform output it reads.
	for _, name := range (config.Outputs{}).Missing() {
		b, ok := m.blocks["output."+name]
		if !ok {
			t.Errorf("terraform/ has no output %q, which config.Outputs reads", name)
			continue
		}
		if _, ok := b.Body.Attributes["sensitive"]; ok {
			t.Errorf("output %s is sensitive: provision does not save sensitive outputs", name)
		}
	}
}

// terraformRun applies a configuration made of variables.tf and extra HCL with
// the real Terraform binary (no provider needed) and returns its outputs, or
// the details of its error diagnostics.
func terraformRun(t *testing.T, extra string, vars map[string]any) (outputs map[string]bool, errs []string) {
	t.Helper()
	bin := tftest.Binary(t)
	dir := t.TempDir()
	src, err := os.ReadFile("variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	varsJSON, _ := json.Marshal(vars)
	for name, data := range map[string][]byte{"variables.tf": src, "extra.tf": []byte(extra), "test.tfvars.json": varsJSON} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tf := func(args ...string) ([]byte, error) {
		cmd := exec.Command(bin, append([]string{"-chdir=" + dir}, args...)...)
		cmd.Env = append(os.Environ(), "TF_DATA_DIR="+filepath.Join(dir, ".terraform"), "CHECKPOINT_DISABLE=1")
		return cmd.Output()
	}
	if out, err := tf("init", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	out, err := tf("apply", "-auto-approve", "-input=false", "-json", "-var-file=test.tfvars.json")
	for _, line := range strings.Split(string(out), "\n") {
		var msg struct {
			Type       string `json:"type"`
			Diagnostic struct {
				Severity, Detail string
			} `json:"diagnostic"`
		}
		if json.Unmarshal([]byte(line), &msg) == nil && msg.Type == "diagnostic" && msg.Diagnostic.Severity == "error" {
			detail, _, _ := strings.Cut(msg.Diagnostic.Detail, "\n\n") // drop "This was checked by ..."
			errs = append(errs, detail)
		}
	}
	if err != nil {
		if len(errs) == 0 {
			t.Fatalf("terraform apply: %v\n%s", err, out)
		}
		return nil, errs
	}
	out, err = tf("output", "-json")
	if err != nil {
		t.Fatalf("terraform output: %v\n%s", err, out)
	}
	var raw map[string]struct{ Value bool }
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("terraform output: %v\n%s", err, out)
	}
	outputs = map[string]bool{}
	for k, v := range raw {
		outputs[k] = v.Value
	}
	return outputs, nil
}

// The variables' validations, run by Terraform itself: sensible values pass,
// and each bad value is refused with that variable's own message.
func TestVariableValidations(t *testing.T) {
	m := load(t)
	good := map[string]any{
		"environment": "prod-2", "project": "my-app", "region": "eu-west-1", "alb_ingress_cidr_blocks": []string{"10.8.0.0/16", "172.20.0.0/16", "192.168.1.0/24"},
		"db_secret_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab",
		"container_name":        "server", "container_port": 8080, "image_tag": "v1.2.3", "health_check_grace_period": 60,
		"ecr_keep_images": 30, "db_instance_class": "db.r6g.large", "db_allocated_storage": 100,
		"db_max_allocated_storage": 0, "db_username": "empctl", "cloudfront_aliases": []string{"app.example.com", "*.example.org"},
		"cloudfront_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
		"cloudfront_web_acl_arn":     "arn:aws:wafv2:us-east-1:123456789012:global/webacl/main/abc",
		"db_tls_ca_file":             "/etc/empctl/rds-global-bundle.pem",
	}
	if _, errs := terraformRun(t, "", good); len(errs) > 0 {
		t.Fatalf("good values refused: %q", errs)
	}
	bad := map[string]any{
		"environment": "prod-", "project": "my--app", "region": "europe", "alb_ingress_cidr_blocks": []string{"0.0.0.0/0"},
		"db_secret_kms_key_arn": "alias/aws/secretsmanager",
		"container_name":        "my server", "container_port": 80, "image_tag": "-latest", "health_check_grace_period": 0,
		"ecr_keep_images": 1, "db_instance_class": "t4g.micro", "db_allocated_storage": 10,
		"db_max_allocated_storage": 10, "db_username": "rdsadmin", "cloudfront_aliases": []string{"App.example.com"},
		"cloudfront_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
		"cloudfront_web_acl_arn":     "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/main/abc",
		"db_tls_ca_file":             "certs/rds-global-bundle.pem",
	}
	_, errs := terraformRun(t, "", bad)
	for name := range bad {
		msgs := m.validationMessages(name)
		if !slices.ContainsFunc(msgs, func(msg string) bool { return slices.Contains(errs, msg) }) {
			t.Errorf("var.%s = %v was not refused with one of %q", name, bad[name], msgs)
		}
	}
	// Private blocks, but one too many for the security group's rule budget.
	six := []string{"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16"}
	_, errs = terraformRun(t, "", map[string]any{"environment": "prod", "project": "my-app", "region": "eu-west-1", "alb_ingress_cidr_blocks": six})
	if want := m.validationMessages("alb_ingress_cidr_blocks")[1]; !slices.Contains(errs, want) {
		t.Errorf("six alb_ingress_cidr_blocks were not refused with %q; errors: %q", want, errs)
	}
}

// validationMessages lists the error messages of a variable's validations, in order.
func (m *module) validationMessages(name string) []string {
	m.t.Helper()
	var msgs []string
	for _, b := range m.block("variable." + name).Body.Blocks {
		if b.Type == "validation" {
			v, diags := b.Body.Attributes["error_message"].Expr.Value(nil)
			if diags.HasErrors() {
				m.t.Fatalf("var.%s: %s", name, diags)
			}
			msgs = append(msgs, v.AsString())
		}
	}
	return msgs
}

// Every variable that can hold a wrong value has a validation.
func TestVariablesAreValidated(t *testing.T) {
	m := load(t)
	free := map[string]bool{"profile": true, "tags": true} // any named profile, any tags
	for key, b := range m.blocks {
		name, ok := strings.CutPrefix(key, "variable.")
		if !ok || free[name] {
			continue
		}
		if typ := hcl.ExprAsKeyword(b.Body.Attributes["type"].Expr); typ == "bool" {
			continue
		}
		if _, ok := nestedBlock(b, "validation"); !ok {
			t.Errorf("var.%s has no validation", name)
		}
	}
}

// Cross-variable checks are preconditions (validation blocks may only refer to
// other variables from Terraform 1.9); Terraform evaluates them here.
func TestCrossVariablePreconditions(t *testing.T) {
	m := load(t)
	conds := map[string]string{}
	for name, key := range map[string]string{
		"fargate_size":   "resource.aws_ecs_task_definition.server",
		"db_storage":     "resource.aws_db_instance.this",
		"cloudfront_tls": "resource.aws_cloudfront_distribution.this",
		"alb_https":      "resource.aws_lb_listener.http",
	} {
		cond := m.nested(m.block(key), "lifecycle", "precondition").Body.Attributes["condition"]
		conds[name] = string(cond.Expr.Range().SliceBytes(m.files[cond.Expr.Range().Filename]))
	}
	var extra strings.Builder
	extra.WriteString("locals {\n  https = var.certificate_arn != \"\"\n}\n")
	for name, expr := range conds {
		fmt.Fprintf(&extra, "output %q {\n  value = %s\n}\n", name, expr)
	}
	base := map[string]any{"environment": "prod", "region": "eu-west-1"}
	for _, tc := range []struct {
		vars map[string]any
		want map[string]bool
	}{
		{map[string]any{}, map[string]bool{"fargate_size": true, "db_storage": true, "cloudfront_tls": true, "alb_https": true}},
		// HTTPS to the ALB needs names of our own that its certificate covers.
		{map[string]any{"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, map[string]bool{"alb_https": false}},
		{map[string]any{"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc", "cloudfront_aliases": []string{"app.example.com"},
			"cloudfront_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/def"}, map[string]bool{"alb_https": true, "cloudfront_tls": true}},
		{map[string]any{"task_cpu": 1024, "task_memory": 4096, "db_allocated_storage": 100, "db_max_allocated_storage": 0},
			map[string]bool{"fargate_size": true, "db_storage": true}},
		{map[string]any{"task_cpu": 256, "task_memory": 4096, "db_allocated_storage": 200, "db_max_allocated_storage": 100, "cloudfront_aliases": []string{"app.example.com"}},
			map[string]bool{"fargate_size": false, "db_storage": false, "cloudfront_tls": false}},
		{map[string]any{"task_cpu": 512, "task_memory": 1536}, map[string]bool{"fargate_size": false}},
	} {
		vars := maps.Clone(base)
		maps.Copy(vars, tc.vars)
		got, errs := terraformRun(t, extra.String(), vars)
		if len(errs) > 0 {
			t.Fatalf("%v: %q", tc.vars, errs)
		}
		for name, want := range tc.want {
			if got[name] != want {
				t.Errorf("%v: %s precondition = %v, want %v", tc.vars, name, got[name], want)
			}
		}
	}
}
