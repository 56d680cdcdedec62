package terraform_test

// The plumbing for ECS's blue/green, linear and canary deployments (issue 16):
// Terraform owns the target groups, rules and role, empctl the per-deploy
// deploymentConfiguration.

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestProgressiveDeliveryPlumbing(t *testing.T) {
	m := load(t)
	wantValue(t, "progressive_delivery default", m.vars["progressive_delivery"], cty.False)
	for _, key := range []string{"resource.aws_lb_target_group.alternate", "resource.random_password.test_route",
		"resource.aws_lb_listener_rule.test", "resource.aws_lb_listener_rule.production",
		"resource.aws_iam_role.ecs_load_balancers", "resource.aws_iam_role_policy_attachment.ecs_load_balancers"} {
		if got := m.refs(m.block(key), "count"); len(got) != 1 || got[0] != "local.progressive" {
			t.Errorf("%s count = %v, want local.progressive", key, got)
		}
	}

	// The alternate group is checked like the primary one, so a new revision
	// is judged by the same health check whichever group it lands in.
	alt := m.block("resource.aws_lb_target_group.alternate")
	wantValue(t, "alternate target_type", m.value(alt, "target_type"), cty.StringVal("ip"))
	for name := range m.nested(m.block("resource.aws_lb_target_group.app"), "health_check").Body.Attributes {
		if got := strings.Join(m.refs(m.nested(alt, "health_check"), name), ""); got != "aws_lb_target_group.app.health_check[]."+name {
			t.Errorf("alternate health_check.%s = %s, want the primary's", name, got)
		}
	}

	// Both rules on the listener CloudFront reaches, forwarding to both groups,
	// the primary at 100; ECS owns the weights afterwards.
	for _, name := range []string{"test", "production"} {
		rule := m.block("resource.aws_lb_listener_rule." + name)
		if got := m.refs(rule, "listener_arn"); len(got) != 1 || got[0] != "local.serving_listener_arn" {
			t.Errorf("%s rule is on %v, want local.serving_listener_arn", name, got)
		}
		action := m.nested(rule, "action")
		wantValue(t, name+" action type", m.value(action, "type"), cty.StringVal("forward"))
		weights := map[string]int64{}
		for _, tg := range m.nested(action, "forward").Body.Blocks {
			w, _ := m.value(tg, "weight").AsBigFloat().Int64()
			weights[strings.Join(m.refs(tg, "arn"), "")] = w
		}
		if weights["aws_lb_target_group.app.arn"] != 100 || weights["aws_lb_target_group.alternate[].arn"] != 0 || len(weights) != 2 {
			t.Errorf("%s rule forwards %v, want the primary at 100 and the alternate at 0", name, weights)
		}
		if ignore := m.nested(rule, "lifecycle").Body.Attributes["ignore_changes"]; ignore == nil || !slices.Contains(traversals(ignore.Expr), "action") {
			t.Errorf("%s rule does not ignore changes to its action: apply would undo ECS's weights", name)
		}
	}
	test, prod := m.block("resource.aws_lb_listener_rule.test"), m.block("resource.aws_lb_listener_rule.production")
	if !m.value(test, "priority").LessThan(m.value(prod, "priority")).True() {
		t.Error("the test rule is evaluated after the production rule, which matches every path")
	}
	header := m.nested(test, "condition", "http_header")
	if got := m.refs(header, "http_header_name"); len(got) != 1 || got[0] != "local.test_route_header" {
		t.Errorf("test rule header name = %v", got)
	}
	if got := m.refs(header, "values"); len(got) != 1 || got[0] != "random_password.test_route[].result" {
		t.Errorf("test rule header value = %v, want the random per-environment value", got)
	}

	role := m.block("resource.aws_iam_role.ecs_load_balancers")
	if got := m.refs(role, "assume_role_policy"); len(got) != 1 || got[0] != "data.aws_iam_policy_document.ecs_load_balancers_assume.json" {
		t.Errorf("role trust = %v", got)
	}
	trust := m.nested(m.block("data.aws_iam_policy_document.ecs_load_balancers_assume"), "statement", "principals")
	wantValue(t, "role trusted by", m.value(trust, "identifiers"), cty.TupleVal([]cty.Value{cty.StringVal("ecs.amazonaws.com")}))
	if src := m.source(m.block("resource.aws_iam_role_policy_attachment.ecs_load_balancers").Body.Attributes["policy_arn"].Expr); !strings.HasSuffix(src, `:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"`) {
		t.Errorf("role policy = %s", src)
	}

	// The service names all four, and apply leaves what ECS and empctl change alone.
	svc := m.block("resource.aws_ecs_service.server")
	lb := m.nested(svc, "load_balancer")
	var adv *hclsyntax.Block
	for _, b := range lb.Body.Blocks {
		if b.Type == "dynamic" && b.Labels[0] == "advanced_configuration" {
			adv = m.nested(b, "content")
		}
	}
	if adv == nil {
		t.Fatal("the service's load_balancer has no advanced_configuration")
	}
	for attr, want := range map[string]string{
		"alternate_target_group_arn": "aws_lb_target_group.alternate[].arn", "production_listener_rule": "aws_lb_listener_rule.production[].arn",
		"test_listener_rule": "aws_lb_listener_rule.test[].arn", "role_arn": "aws_iam_role.ecs_load_balancers[].arn",
	} {
		if got := strings.Join(m.refs(adv, attr), ""); got != want {
			t.Errorf("advanced_configuration.%s = %s, want %s", attr, got, want)
		}
	}
	ignore := traversals(m.nested(svc, "lifecycle").Body.Attributes["ignore_changes"].Expr)
	for _, attr := range []string{"deployment_configuration", "load_balancer"} {
		if !slices.Contains(ignore, attr) {
			t.Errorf("the service does not ignore changes to %s", attr)
		}
	}
	if got := m.refs(m.nested(svc, "lifecycle"), "replace_triggered_by"); !slices.Contains(got, "aws_lb_target_group.app.id") {
		t.Errorf("a replaced target group does not replace the service, which ignores load_balancer (replace_triggered_by %v)", got)
	}

	// What empctl reads; the header's value only as a sensitive output.
	for _, name := range []string{"alternate_target_group_arn", "production_listener_rule_arn", "test_listener_rule_arn",
		"ecs_load_balancers_role_arn", "test_route_header_name", "test_route_header_value"} {
		out := m.block("output." + name)
		_, sensitive := out.Body.Attributes["sensitive"]
		if want := name == "test_route_header_value"; sensitive != want {
			t.Errorf("output %s sensitive = %v, want %v", name, sensitive, want)
		}
	}
	wantValue(t, "test_route_header_value sensitive", m.value(m.block("output.test_route_header_value"), "sensitive"), cty.True)

	// The random provider is pinned to the release whose schema is linted.
	if !strings.Contains(string(m.files["versions.tf"]), `source  = "hashicorp/random"`) {
		t.Error("versions.tf does not pin hashicorp/random")
	}
}

// empctl's gate reaches the test rule through CloudFront: the API behaviour's
// origin request policy must pass the test header on to the ALB.
func TestCloudFrontForwardsTheTestHeader(t *testing.T) {
	m := load(t)
	headers := m.nested(m.block("resource.aws_cloudfront_origin_request_policy.api"), "headers_config")
	behavior := m.value(headers, "header_behavior").AsString()
	if strings.HasPrefix(behavior, "allViewer") {
		return
	}
	name := regexp.MustCompile(`test_route_header\s*=\s*"([^"]+)"`).FindSubmatch(m.files["progressive.tf"])
	if name == nil {
		t.Fatal("progressive.tf does not set local.test_route_header")
	}
	items := m.value(m.nested(headers, "headers"), "items")
	if !slices.ContainsFunc(items.AsValueSlice(), func(v cty.Value) bool { return strings.EqualFold(v.AsString(), string(name[1])) }) {
		t.Errorf("the API's origin request policy (%s) does not forward %s", behavior, name[1])
	}
}
