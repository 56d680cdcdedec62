package terraform_test

// Invariants of the API's path (issue 11): an internal ALB that only
// CloudFront's VPC origin reaches, and what CloudFront sends and answers.

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestALBIsInternalBehindVPCOrigin(t *testing.T) {
	m := load(t)
	alb := m.block("resource.aws_lb.this")
	wantValue(t, "aws_lb.this internal", m.value(alb, "internal"), cty.True)
	if got := m.refs(alb, "subnets"); len(got) != 1 || got[0] != "aws_subnet.private" {
		t.Errorf("ALB subnets = %v, want the private subnets", got)
	}

	vo := m.block("resource.aws_cloudfront_vpc_origin.api")
	cfg := m.nested(vo, "vpc_origin_endpoint_config")
	if got := strings.Join(m.refs(cfg, "arn"), ""); got != "aws_lb.this.arn" {
		t.Errorf("VPC origin arn = %s, want the ALB", got)
	}
	// CloudFront reaches the ALB through the VPC origin, never over the internet.
	api := apiOrigin(t, m)
	if _, ok := nestedBlock(api, "custom_origin_config"); ok {
		t.Error("the API origin has a custom_origin_config: it would reach the ALB over the internet")
	}
	if got := strings.Join(m.refs(m.nested(api, "vpc_origin_config"), "vpc_origin_id"), ","); !strings.HasPrefix(got, "aws_cloudfront_vpc_origin.api") {
		t.Errorf("API origin's vpc_origin_id = %s, want aws_cloudfront_vpc_origin.api", got)
	}
	if got := strings.Join(m.refs(api, "domain_name"), ""); got != "aws_lb.this.dns_name" {
		t.Errorf("API origin domain_name = %s, want the ALB's name", got)
	}
	// The protocol is the VPC origin's key: CloudFront refuses to update one in use.
	if src := string(m.files["webapp.tf"]); !strings.Contains(src, `origin_protocol_policy = "${each.key}-only"`) {
		t.Error("the VPC origin's protocol is not its for_each key")
	}
}

// apiOrigin is the distribution's origin that /api/* goes to.
func apiOrigin(t *testing.T, m *module) *hclsyntax.Block {
	t.Helper()
	dist := m.block("resource.aws_cloudfront_distribution.this")
	for _, b := range dist.Body.Blocks {
		if b.Type == "origin" {
			if id, ok := b.Body.Attributes["origin_id"]; ok && strings.Join(traversals(id.Expr), "") == "local.alb_origin_id" {
				return b
			}
		}
	}
	t.Fatal("the distribution has no origin with origin_id = local.alb_origin_id")
	return nil
}

// The ALB admits CloudFront's VPC-origin security group, and private CIDR
// blocks when listed; never a prefix list (it admits every distribution and
// counts ~55 rules against the quota of 60) nor the internet.
func TestALBAdmitsOnlyCloudFrontVPCOrigins(t *testing.T) {
	m := load(t)
	for name, src := range m.files {
		if strings.Contains(string(src), "prefix_list") {
			t.Errorf("%s uses a managed prefix list", name)
		}
	}
	sg := m.block("data.aws_security_group.cloudfront_vpc_origins")
	wantValue(t, "CloudFront's security group name", m.value(sg, "name"), cty.StringVal("CloudFront-VPCOrigins-Service-SG"))
	if got := m.refs(sg, "vpc_id"); len(got) != 1 || got[0] != "aws_vpc.this.id" {
		t.Errorf("CloudFront's security group is looked up in %v, want this VPC", got)
	}
	// Whether AWS creates the group with the VPC origin or once a
	// distribution uses it, it exists after both (issue 17, item 9).
	for _, dep := range []string{"aws_cloudfront_vpc_origin.api", "aws_cloudfront_distribution.this"} {
		if got := m.refs(sg, "depends_on"); !slices.Contains(got, dep) {
			t.Errorf("the lookup does not wait for %s (depends_on %v)", dep, got)
		}
	}

	var fromCloudFront bool
	for key, b := range m.blocks {
		if !strings.HasPrefix(key, "resource.aws_vpc_security_group_ingress_rule.") || strings.Join(m.refs(b, "security_group_id"), "") != "aws_security_group.alb.id" {
			continue
		}
		got := strings.Join(m.refs(b, "referenced_security_group_id"), "")
		if got != "data.aws_security_group.cloudfront_vpc_origins.id" {
			t.Errorf("%s admits %s", key, got)
		}
		fromCloudFront = true
	}
	for key, b := range m.blocks {
		if !strings.HasPrefix(key, "resource.aws_security_group_rule.") || strings.Join(m.refs(b, "security_group_id"), "") != "aws_security_group.alb.id" {
			continue
		}
		if v := m.value(b, "type"); v.AsString() != "ingress" {
			continue
		}
		if src, ok := b.Body.Attributes["source_security_group_id"]; ok {
			// aws_security_group_rule deletes and re-creates the rule when the
			// group it admits changes: CloudFront would be locked out meanwhile.
			t.Errorf("%s admits the security group %s with aws_security_group_rule", key, strings.Join(traversals(src.Expr), ""))
			continue
		}
		if got := m.refs(b, "cidr_blocks"); len(got) != 1 || got[0] != "var.alb_ingress_cidr_blocks" {
			t.Errorf("%s admits %v, want only var.alb_ingress_cidr_blocks", key, got)
		}
	}
	if !fromCloudFront {
		t.Error("no aws_vpc_security_group_ingress_rule admits CloudFront's VPC-origin security group to the ALB")
	}
}

// The server throttles logins on CloudFront-Viewer-Address (issue 10), which
// only CloudFront sets; every viewer header (Authorization included), cookie
// and query string reaches the API.
func TestOriginRequestPolicyForwardsViewerAddress(t *testing.T) {
	m := load(t)
	p := m.block("resource.aws_cloudfront_origin_request_policy.api")
	h := m.nested(p, "headers_config")
	wantValue(t, "header_behavior", m.value(h, "header_behavior"), cty.StringVal("allViewerAndWhitelistCloudFront"))
	items := m.value(m.nested(h, "headers"), "items")
	var found bool
	for it := items.ElementIterator(); it.Next(); {
		_, v := it.Element()
		found = found || v.AsString() == "CloudFront-Viewer-Address"
	}
	if !found {
		t.Errorf("the API's origin request policy does not forward CloudFront-Viewer-Address: %#v", items)
	}
	wantValue(t, "cookie_behavior", m.value(m.nested(p, "cookies_config"), "cookie_behavior"), cty.StringVal("all"))
	wantValue(t, "query_string_behavior", m.value(m.nested(p, "query_strings_config"), "query_string_behavior"), cty.StringVal("all"))
}

// HSTS on every response, and TLS 1.2 at least with an own certificate
// (TestCloudFront checks the latter).
func TestStrictTransportSecurity(t *testing.T) {
	m := load(t)
	hsts := m.nested(m.block("resource.aws_cloudfront_response_headers_policy.security"), "security_headers_config", "strict_transport_security")
	if age := m.value(hsts, "access_control_max_age_sec"); age.LessThan(cty.NumberIntVal(31536000)).True() {
		t.Errorf("HSTS max-age = %#v, want a year at least", age)
	}
	wantValue(t, "HSTS override", m.value(hsts, "override"), cty.True)
	wantValue(t, "HSTS include_subdomains", m.value(hsts, "include_subdomains"), cty.True)
	dist := m.block("resource.aws_cloudfront_distribution.this")
	for _, typ := range []string{"default_cache_behavior", "ordered_cache_behavior"} {
		if got := strings.Join(m.refs(m.nested(dist, typ), "response_headers_policy_id"), ""); got != "aws_cloudfront_response_headers_policy.security.id" {
			t.Errorf("%s has response headers policy %q", typ, got)
		}
	}
}
