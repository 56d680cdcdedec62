package terraform_test

// The server's environment in the task definition, evaluated from the HCL
// with stand-in values for the resources it reads.

import (
	"maps"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// operatorKeyARN stands in for the operator key's secret.
const operatorKeyARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:empctl-prod-operator-key-AbCdEf"

// Stand-in subnet CIDRs: what cidrsubnet gives for the default VPC.
var (
	publicCIDRs  = []string{"10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"}
	privateCIDRs = []string{"10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"}
)

func subnets(cidrs []string) cty.Value {
	var out []cty.Value
	for i, c := range cidrs {
		out = append(out, cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("subnet-" + strconv.Itoa(i)), "cidr_block": cty.StringVal(c)}))
	}
	return cty.TupleVal(out)
}

// serverEnvironment evaluates the container's environment with the variables
// at their defaults but for vars, and returns it as a map.
func serverEnvironment(t *testing.T, m *module, vars map[string]cty.Value) map[string]string {
	t.Helper()
	td := m.block("resource.aws_ecs_task_definition.server")
	items := objectItems(td.Body.Attributes["container_definitions"].Expr, "environment")
	if len(items) != 1 {
		t.Fatalf("container definition has %d environment keys, want 1", len(items))
	}
	all := maps.Clone(m.vars)
	maps.Copy(all, vars)
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(all),
			"aws_db_instance": cty.ObjectVal(map[string]cty.Value{"this": cty.ObjectVal(map[string]cty.Value{
				"address": cty.StringVal("db.example.internal"),
				"port":    cty.NumberIntVal(3306),
				"master_user_secret": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
					"secret_arn": cty.StringVal("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1"),
				})}),
			})}),
			"aws_subnet": cty.ObjectVal(map[string]cty.Value{"public": subnets(publicCIDRs), "private": subnets(privateCIDRs)}),
			"aws_secretsmanager_secret": cty.ObjectVal(map[string]cty.Value{"operator_key": cty.ObjectVal(map[string]cty.Value{
				"arn": cty.StringVal(operatorKeyARN),
			})}),
		},
		// Terraform's functions of these names behave the same way.
		Functions: map[string]function.Function{
			"tostring": stdlib.MakeToFunc(cty.String),
			"join":     stdlib.JoinFunc,
			"concat":   stdlib.ConcatFunc,
		},
	}
	v, diags := items[0].ValueExpr.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("evaluating the task's environment (does it use a resource or function this test does not stand in for?): %s", diags)
	}
	env := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		name, value := e.GetAttr("name").AsString(), e.GetAttr("value").AsString()
		if _, dup := env[name]; dup {
			t.Errorf("the task's environment sets %s twice", name)
		}
		env[name] = value
	}
	return env
}

// X-Forwarded-For is honoured only from the ALB (issue 13): TRUSTED_PROXIES
// is exactly the CIDRs of the subnets the ALB's nodes take their addresses
// from, not the server's default of every private range.
func TestTrustedProxiesAreTheALBSubnets(t *testing.T) {
	m := load(t)
	albSubnets := m.refs(m.block("resource.aws_lb.this"), "subnets")
	if len(albSubnets) != 1 || albSubnets[0] != "aws_subnet.private" {
		t.Fatalf("ALB subnets = %v: this test stands in for aws_subnet.private only", albSubnets)
	}
	for _, mode := range []bool{false, true} { // the tasks' subnets change; the ALB's do not
		env := serverEnvironment(t, m, map[string]cty.Value{"tasks_in_public_subnets": cty.BoolVal(mode)})
		got, ok := env["TRUSTED_PROXIES"]
		if !ok {
			t.Fatal("the task's environment does not set TRUSTED_PROXIES: the server trusts X-Forwarded-For from every private address")
		}
		if want := strings.Join(privateCIDRs, ","); got != want {
			t.Errorf("tasks_in_public_subnets=%v: TRUSTED_PROXIES = %q, want the ALB's subnets %q", mode, got, want)
		}
		for item := range strings.SplitSeq(got, ",") {
			if _, err := netip.ParsePrefix(item); err != nil {
				t.Errorf("TRUSTED_PROXIES item %q is not a CIDR block the server reads: %v", item, err)
			}
		}
		if hops, ok := env["TRUSTED_PROXY_HOPS"]; ok && hops != "1" {
			t.Errorf("TRUSTED_PROXY_HOPS = %q: only the ALB appends to X-Forwarded-For (CloudFront's address comes as CloudFront-Viewer-Address)", hops)
		}
	}
}

// With the RDS CA bundle in the image (db_tls_ca_file) the server verifies
// the database's certificate; without it, TLS stays required.
func TestDatabaseTLSFollowsCAFile(t *testing.T) {
	m := load(t)
	wantValue(t, "var.db_tls_ca_file default", m.vars["db_tls_ca_file"], cty.StringVal(""))
	for _, tc := range []struct {
		file      string
		tls       string
		ca        string
		caPresent bool
	}{
		{"", "required", "", false},
		{"/etc/empctl/rds-global-bundle.pem", "verify", "/etc/empctl/rds-global-bundle.pem", true},
	} {
		env := serverEnvironment(t, m, map[string]cty.Value{"db_tls_ca_file": cty.StringVal(tc.file)})
		if env["DB_TLS"] != tc.tls {
			t.Errorf("db_tls_ca_file=%q: DB_TLS = %q, want %q", tc.file, env["DB_TLS"], tc.tls)
		}
		if ca, ok := env["DB_TLS_CA"]; ok != tc.caPresent || ca != tc.ca {
			t.Errorf("db_tls_ca_file=%q: DB_TLS_CA = %q (set: %v), want %q (set: %v)", tc.file, ca, ok, tc.ca, tc.caPresent)
		}
	}
}

// db_tls_ca_file's validation, run by Terraform: an absolute path, and never
// one Go reads as the system's trust store. A file there would replace the
// root certificates the server embeds (crypto/x509 uses those only when the
// system has none), and the server could no longer reach Secrets Manager.
func TestDatabaseTLSCAFileValidation(t *testing.T) {
	m := load(t)
	cond := m.nested(m.block("variable.db_tls_ca_file"), "validation").Body.Attributes["condition"]
	expr := string(cond.Expr.Range().SliceBytes(m.files[cond.Expr.Range().Filename]))
	cases := map[string]bool{
		"":                                     true,
		"/etc/empctl/rds-global-bundle.pem":    true,
		"/certs/eu-west-1-bundle.pem":          true,
		"certs/rds-global-bundle.pem":          false, // relative: to what?
		"./rds.pem":                            false,
		"/":                                    false,
		"/etc/empctl/":                         false,
		"/etc/my certs/rds.pem":                false,
		"/etc/ssl/certs/rds-global-bundle.pem": false, // Go reads every file there
		"/etc/pki/tls/certs/rds.pem":           false,
		"/etc/ssl/cert.pem":                    false, // Alpine's bundle
		"/etc/ssl/certs/ca-certificates.crt":   false,
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem": false,
	}
	var extra strings.Builder
	var names []string
	for path := range cases {
		name := "case" + strconv.Itoa(len(names))
		names = append(names, path)
		extra.WriteString("output \"" + name + "\" {\n  value = " + strings.ReplaceAll(expr, "var.db_tls_ca_file", strconv.Quote(path)) + "\n}\n")
	}
	got, errs := terraformRun(t, extra.String(), map[string]any{"environment": "prod", "region": "eu-west-1"})
	if len(errs) > 0 {
		t.Fatalf("%q", errs)
	}
	for i, path := range names {
		if ok := got["case"+strconv.Itoa(i)]; ok != cases[path] {
			t.Errorf("db_tls_ca_file = %q: validation passes = %v, want %v", path, ok, cases[path])
		}
	}
}

// The sign-up throttle is the operator's to size, and reaches the server;
// empctl's own load does not count against it (the operator key).
func TestSignUpsPerHourReachesTheServer(t *testing.T) {
	m := load(t)
	wantValue(t, "var.sign_ups_per_hour default", m.vars["sign_ups_per_hour"], cty.NumberIntVal(20))
	if got := serverEnvironment(t, m, nil)["SIGN_UPS_PER_HOUR"]; got != "20" {
		t.Errorf("SIGN_UPS_PER_HOUR = %q, want the variable's default 20", got)
	}
	if got := serverEnvironment(t, m, map[string]cty.Value{"sign_ups_per_hour": cty.NumberIntVal(200)})["SIGN_UPS_PER_HOUR"]; got != "200" {
		t.Errorf("SIGN_UPS_PER_HOUR = %q with sign_ups_per_hour = 200", got)
	}
}
