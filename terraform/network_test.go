package terraform_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// Image layers (S3) never depend on NAT; ECR, CloudWatch Logs and Secrets
// Manager can be taken off NAT too, so one zone's NAT gateway is not every
// zone's single point of failure.
func TestVPCEndpoints(t *testing.T) {
	m := load(t)
	s3 := m.block("resource.aws_vpc_endpoint.s3")
	for _, meta := range []string{"count", "for_each"} {
		if _, ok := s3.Body.Attributes[meta]; ok {
			t.Errorf("the S3 gateway endpoint has %s: it is free and always wanted", meta)
		}
	}
	wantValue(t, "S3 endpoint type", m.value(s3, "vpc_endpoint_type"), cty.StringVal("Gateway"))
	if got := m.refs(s3, "route_table_ids"); !slices.Contains(got, "aws_route_table.private") {
		t.Errorf("the S3 endpoint serves route tables %v, want the private ones", got)
	}

	iface := m.block("resource.aws_vpc_endpoint.interface")
	wantValue(t, "interface endpoints type", m.value(iface, "vpc_endpoint_type"), cty.StringVal("Interface"))
	wantValue(t, "private_dns_enabled", m.value(iface, "private_dns_enabled"), cty.True)
	if got := m.refs(iface, "subnet_ids"); len(got) != 1 || got[0] != "aws_subnet.private" {
		t.Errorf("interface endpoints in %v, want every private subnet", got)
	}
	src := string(m.files["network.tf"])
	if !strings.Contains(src, `var.vpc_interface_endpoints ? toset(["ecr.api", "ecr.dkr", "logs", "secretsmanager"]) : toset([])`) {
		t.Error("the interface endpoints are not ECR api and dkr, CloudWatch Logs and Secrets Manager behind var.vpc_interface_endpoints")
	}
	wantValue(t, "vpc_interface_endpoints default", m.vars["vpc_interface_endpoints"], cty.False)
	// Only the tasks reach the endpoints.
	rule := m.block("resource.aws_security_group_rule.endpoints_from_tasks")
	if got := strings.Join(m.refs(rule, "source_security_group_id"), ""); got != "aws_security_group.tasks.id" {
		t.Errorf("the endpoints admit %s, want the tasks", got)
	}

	// Per-zone NAT stays available; the cost trade-off is in the descriptions.
	for _, v := range []string{"nat_gateway_mode", "vpc_interface_endpoints"} {
		desc := m.value(m.block("variable."+v), "description").AsString()
		if !strings.Contains(desc, "USD") {
			t.Errorf("var.%s does not say what it costs", v)
		}
	}
}

// Logs that cost money are off by default; deletion protection of the ALB is
// on for prod.
func TestOptionalLogsAndProtection(t *testing.T) {
	m := load(t)
	for _, v := range []string{"alb_access_logs", "cloudfront_access_logs", "vpc_flow_logs"} {
		wantValue(t, "var."+v+" default", m.vars[v], cty.False)
	}
	if def := m.vars["alb_deletion_protection"]; !def.IsNull() {
		t.Errorf("alb_deletion_protection default = %#v, want null (on for prod)", def)
	}
	src := string(m.files["alb.tf"])
	if !strings.Contains(src, `coalesce(var.alb_deletion_protection, var.environment == "prod")`) {
		t.Error("ALB deletion protection is not on by default for prod")
	}
	if got := strings.Join(m.refs(m.block("resource.aws_lb.this"), "enable_deletion_protection"), ""); got != "local.alb_deletion_protection" {
		t.Errorf("enable_deletion_protection = %s", got)
	}
	if got := strings.Join(m.refs(m.block("resource.aws_flow_log.this"), "vpc_id"), ""); got != "aws_vpc.this.id" {
		t.Errorf("the flow log watches %s", got)
	}
}
