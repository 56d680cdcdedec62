package terraform_test

// What happens to things over time: images, old webapp versions, the final
// snapshot, a replaced target group.

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// ECR keeps the last N tagged releases. No rule counts "any" image, which would
// count each release's platform manifests and expire them from under a kept
// index, and none expires untagged manifests: a kept release's platform
// manifests are untagged too.
func TestECRLifecycleKeepsTaggedReleases(t *testing.T) {
	m := load(t)
	call, ok := m.block("resource.aws_ecr_lifecycle_policy.server").Body.Attributes["policy"].Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
		t.Fatal("the ECR lifecycle policy is not jsonencode({...})")
	}
	policy, diags := call.Args[0].Value(m.ctx())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rules := policy.GetAttr("rules").AsValueSlice()
	if len(rules) != 1 {
		t.Fatalf("%d lifecycle rules, want 1", len(rules))
	}
	tagged := rules[0].GetAttr("selection")
	wantValue(t, "rule 1 tagStatus", tagged.GetAttr("tagStatus"), cty.StringVal("tagged"))
	wantValue(t, "rule 1 countType", tagged.GetAttr("countType"), cty.StringVal("imageCountMoreThan"))
	wantValue(t, "rule 1 countNumber", tagged.GetAttr("countNumber"), m.vars["ecr_keep_images"])
	wantValue(t, "rule 1 tagPatternList", tagged.GetAttr("tagPatternList"), cty.TupleVal([]cty.Value{cty.StringVal("*")}))
	for i, r := range rules {
		wantValue(t, "rule priority", r.GetAttr("rulePriority"), cty.NumberIntVal(int64(i+1)))
		wantValue(t, "rule action", r.GetAttr("action").GetAttr("type"), cty.StringVal("expire"))
	}
}

// An empty filter {} warns on every plan from provider 5.90; the rules cover
// the whole bucket with an empty prefix instead.
func TestS3LifecycleFiltersDoNotWarn(t *testing.T) {
	m := load(t)
	for _, key := range []string{"resource.aws_s3_bucket_lifecycle_configuration.webapp", "resource.aws_s3_bucket_lifecycle_configuration.logs"} {
		for _, rule := range m.block(key).Body.Blocks {
			if rule.Type != "rule" {
				continue
			}
			filter := m.nested(rule, "filter")
			if len(filter.Body.Attributes) == 0 && len(filter.Body.Blocks) == 0 {
				t.Errorf("%s has an empty filter {}", key)
				continue
			}
			wantValue(t, key+" filter prefix", m.value(filter, "prefix"), cty.StringVal(""))
		}
	}
	rule := m.nested(m.block("resource.aws_s3_bucket_lifecycle_configuration.webapp"), "rule")
	if days := m.value(m.nested(rule, "noncurrent_version_expiration"), "noncurrent_days"); !days.GreaterThan(cty.Zero).True() {
		t.Errorf("old webapp versions never expire: %#v", days)
	}
}

// The final snapshot's name is unique per database, and fixed once created so
// plans show no diff.
func TestFinalSnapshotIsUnique(t *testing.T) {
	m := load(t)
	db := m.block("resource.aws_db_instance.this")
	expr := db.Body.Attributes["final_snapshot_identifier"].Expr
	var unique bool
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && call.Name == "timestamp" {
			unique = true
		}
		return nil
	})
	if !unique {
		t.Error("final_snapshot_identifier does not change from one database to the next: a second destroy collides with the first snapshot")
	}
	ignore := m.nested(db, "lifecycle").Body.Attributes["ignore_changes"]
	if ignore == nil || !slices.Contains(traversals(ignore.Expr), "final_snapshot_identifier") {
		t.Error("final_snapshot_identifier is not in ignore_changes: every plan would show a new name")
	}
}

// A change that replaces the target group (container_port) creates the new
// one first; a fixed name would collide with the old one.
func TestTargetGroupIsReplacedBeforeDestroy(t *testing.T) {
	m := load(t)
	tg := m.block("resource.aws_lb_target_group.app")
	if _, ok := tg.Body.Attributes["name"]; ok {
		t.Error("the target group has a fixed name")
	}
	prefix := m.value(tg, "name_prefix")
	if n := len(prefix.AsString()); n == 0 || n > 6 {
		t.Errorf("name_prefix = %q: the provider takes 1 to 6 characters", prefix.AsString())
	}
	if strings.Contains(prefix.AsString(), "--") {
		t.Errorf("name_prefix = %q", prefix.AsString())
	}
	wantValue(t, "target group create_before_destroy", m.value(m.nested(tg, "lifecycle"), "create_before_destroy"), cty.True)
}
