package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOutputsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	values := map[string]json.RawMessage{
		"region":                 json.RawMessage(`"eu-west-1"`),
		"cluster_name":           json.RawMessage(`"empctl-prod"`),
		"cloudfront_domain_name": json.RawMessage(`"d111.cloudfront.net"`),
		"unused_output":          json.RawMessage(`42`),
	}
	o, err := ParseOutputs(values)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SaveOutputs(dir, "prod", o); err != nil {
		t.Fatal(err)
	}
	got, err := LoadOutputs(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got.Env != "prod" || got.Region != "eu-west-1" || got.ClusterName != "empctl-prod" || got.UpdatedAt.IsZero() {
		t.Errorf("LoadOutputs() = %+v", got)
	}
	if got.AppURL() != "https://d111.cloudfront.net" {
		t.Errorf("AppURL() = %q", got.AppURL())
	}
	if m := got.Missing(); !slices.Contains(m, "service_name") || slices.Contains(m, "region") || slices.Contains(m, "env") ||
		slices.Contains(m, "task_role_arn") { // optional: older outputs lack it and still deploy

		t.Errorf("Missing() = %v", m)
	}
	// Only outputs.json is left in the directory: the temporary file is gone.
	entries, _ := os.ReadDir(EnvDir(dir, "prod"))
	if len(entries) != 1 || entries[0].Name() != OutputsFile {
		t.Errorf("env dir holds %v", entries)
	}
}

func TestParseOutputsRejectsNonString(t *testing.T) {
	_, err := ParseOutputs(map[string]json.RawMessage{"cluster_name": json.RawMessage(`["a"]`)})
	if err == nil || !strings.Contains(err.Error(), "cluster_name is not a string") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadOutputsBeforeProvision(t *testing.T) {
	_, err := LoadOutputs(t.TempDir(), "prod")
	var noOut *NoOutputsError
	if !errors.As(err, &noOut) {
		t.Fatalf("error = %v, want *NoOutputsError", err)
	}
	if want := "no outputs for env prod: run `empctl provision --env prod` first"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestLoadOutputsDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(EnvDir(dir, "prod"), OutputsFile)
	_ = os.MkdirAll(filepath.Dir(path), 0o755)
	_ = os.WriteFile(path, []byte("{not json"), 0o644)
	_, err := LoadOutputs(dir, "prod")
	if err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Errorf("error = %v", err)
	}
}

func TestRemoveOutputs(t *testing.T) {
	dir := t.TempDir()
	if err := RemoveOutputs(dir, "prod"); err != nil {
		t.Fatalf("removing nothing: %v", err)
	}
	if _, err := SaveOutputs(dir, "prod", Outputs{Region: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveOutputs(dir, "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOutputs(dir, "prod"); !errors.As(err, new(*NoOutputsError)) {
		t.Errorf("after remove: %v", err)
	}
}

func TestProgressiveDeliveryOutputsAreOptional(t *testing.T) {
	o, err := ParseOutputs(map[string]json.RawMessage{
		"test_listener_rule_arn": json.RawMessage(`"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/a/1/2/3"`),
		"test_route_header_name": json.RawMessage(`"X-Empctl-Test"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.TestListenerRuleARN == "" || o.TestRouteHeaderName != "X-Empctl-Test" {
		t.Errorf("ParseOutputs() = %+v", o)
	}
	if m := o.Missing(); slices.Contains(m, "alternate_target_group_arn") || !slices.Contains(m, "cluster_name") {
		t.Errorf("Missing() = %v: progressive delivery's outputs are optional, the rest required", m)
	}
}
