package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadEnvironments(t *testing.T) {
	dir := writeConfig(t, `
environments:
  prod:
    region: eu-west-1
    profile: prod-admin
    vars:
      desired_count: 3
      db_multi_az: true
      alb_ingress_cidr_blocks: [203.0.113.0/24]
    backend:
      bucket: tf-state
      key: empctl/prod.tfstate
      encrypt: true
  staging:
    region: us-east-1
`)
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Names(), ","); got != "prod,staging" {
		t.Errorf("Names() = %s", got)
	}
	prod, err := cfg.Env("prod")
	if err != nil {
		t.Fatal(err)
	}
	vars := prod.TerraformVars()
	if vars["environment"] != "prod" || vars["region"] != "eu-west-1" || vars["profile"] != "prod-admin" || vars["desired_count"] != 3 {
		t.Errorf("TerraformVars() = %v", vars)
	}
	if b := prod.BackendConfig(); b["bucket"] != "tf-state" || b["encrypt"] != "true" {
		t.Errorf("BackendConfig() = %v", b)
	}
	staging, _ := cfg.Env("staging")
	if _, ok := staging.TerraformVars()["profile"]; ok {
		t.Error("profile var set although the environment has none")
	}
}

func TestLocalNeedsNoEntry(t *testing.T) {
	cfg, err := Load(t.TempDir()) // no empctl.yaml at all
	if err != nil {
		t.Fatal(err)
	}
	env, err := cfg.Env("local")
	if err != nil || !env.IsLocal() {
		t.Fatalf("Env(local) = %+v, %v", env, err)
	}
	_, err = cfg.Env("prod")
	if err == nil || !strings.Contains(err.Error(), `"prod" is not defined in empctl.yaml`) {
		t.Errorf("Env(prod) error = %v", err)
	}
}

func TestUnknownEnvListsKnownOnes(t *testing.T) {
	cfg, err := Load(writeConfig(t, "environments:\n  prod: {region: eu-west-1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Env("prdo")
	if err == nil || !strings.Contains(err.Error(), "known environments: prod") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadRejectsBadConfig(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"no region":       {"environments:\n  prod: {}\n", "region is missing"},
		"local defined":   {"environments:\n  local: {region: eu-west-1}\n", `"local" is built in`},
		"bad name":        {"environments:\n  Prod_1: {region: eu-west-1}\n", "lower-case letters"},
		"trailing hyphen": {"environments:\n  prod-: {region: eu-west-1}\n", "not ending with a hyphen"},
		"double hyphen":   {"environments:\n  pr--od: {region: eu-west-1}\n", "single hyphens"},
		"too long":        {"environments:\n  abcdefghijklmnop: {region: eu-west-1}\n", "1-15 characters"},
		"reserved var":    {"environments:\n  prod: {region: eu-west-1, vars: {region: us-east-1}}\n", "vars.region is set by empctl"},
		"unknown field":   {"environments:\n  prod:\n    region: eu-west-1\n    regoin: x\n", `empctl.yaml:4: unknown key "regoin" under environments.prod: did you mean "region"? Valid keys there: backend, `},
		"top-level typo":  {"environmets:\n  prod: {region: eu-west-1}\n", `empctl.yaml:1: unknown key "environmets" at the top level: did you mean "environments"?`},
		"nested backend": {"environments:\n  prod: {region: eu-west-1, backend: {assume_role: {role_arn: x}}}\n",
			"backend.assume_role must be a string"},
		"not yaml": {"environments: [", "empctl.yaml"},
		"relative image path": {"image:\n  files:\n    etc/ca.pem: certs/ca.pem\n",
			`image.files: "etc/ca.pem": the path in the image must be absolute, e.g. /etc/empctl/rds-global-bundle.pem`},
		"unclean image path": {"image:\n  files:\n    /etc/../ca.pem: certs/ca.pem\n", `image.files: "/etc/../ca.pem": write it as /ca.pem`},
		"image directory":    {"image:\n  files:\n    /etc/ssl/: certs/ca.pem\n", `image.files: "/etc/ssl/": write it as /etc/ssl`},
		"no local file":      {"image:\n  files:\n    /etc/ca.pem: \"\"\n", `image.files: "/etc/ca.pem": no local file given`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load() error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestEmptyFileIsEmptyConfig(t *testing.T) {
	cfg, err := Load(writeConfig(t, ""))
	if err != nil || len(cfg.Environments) != 0 {
		t.Fatalf("Load(empty) = %+v, %v", cfg, err)
	}
}

// image.files: local paths are relative to empctl.yaml's directory.
func TestImageFiles(t *testing.T) {
	dir := writeConfig(t, "image:\n  files:\n    /etc/empctl/rds-global-bundle.pem: certs/rds-global-bundle.pem\n    /etc/empctl/abs.txt: /srv/abs.txt\n")
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.ImageFiles()
	want := map[string]string{
		"/etc/empctl/rds-global-bundle.pem": filepath.Join(dir, "certs", "rds-global-bundle.pem"),
		"/etc/empctl/abs.txt":               "/srv/abs.txt",
	}
	if len(got) != len(want) {
		t.Fatalf("ImageFiles() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ImageFiles()[%s] = %q, want %q", k, got[k], v)
		}
	}
	if cfg, err := Load(t.TempDir()); err != nil || len(cfg.ImageFiles()) != 0 {
		t.Errorf("no empctl.yaml: ImageFiles() = %v, %v; want none", cfg.ImageFiles(), err)
	}
}

// deploy.strategy at the top is the local environment's and the default of
// every AWS environment; an environment may say otherwise; an unknown
// strategy is refused, naming the valid ones.
func TestDeployStrategy(t *testing.T) {
	cfg, err := Load(writeConfig(t, `
deploy:
  strategy: canary
environments:
  prod:
    region: eu-west-1
    deploy:
      strategy: linear
  staging:
    region: us-east-1
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"local": "canary", "prod": "linear", "staging": "canary"} {
		if e, err := cfg.Env(name); err != nil || e.Deploy.Strategy != want {
			t.Errorf("%s: strategy %q (%v), want %q", name, e.Deploy.Strategy, err, want)
		}
	}
	_, err = Load(writeConfig(t, "deploy:\n  strategy: blue\n"))
	if err == nil || !strings.Contains(err.Error(), "deploy.strategy") || !strings.Contains(err.Error(), "blue-green, canary, linear") {
		t.Fatalf("unknown strategy: %v", err)
	}
}
