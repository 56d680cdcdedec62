package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"
)

// OutputsFile is the file, under EnvDir, where provisioning results are kept.
const OutputsFile = "outputs.json"

// Outputs are the Terraform outputs of terraform/ that the other commands need.
// JSON names are the Terraform output names.
type Outputs struct {
	Env       string    `json:"env"`
	UpdatedAt time.Time `json:"updated_at"`

	Region                   string `json:"region"`
	ClusterName              string `json:"cluster_name"`
	ServiceName              string `json:"service_name"`
	ContainerName            string `json:"container_name"`
	TaskFamily               string `json:"task_family"`
	DesiredCount             string `json:"desired_count"` // a whole number; Terraform leaves the service's count to deploy after creating it
	ECRRepositoryURL         string `json:"ecr_repository_url"`
	TargetGroupARN           string `json:"target_group_arn"`
	ALBDNSName               string `json:"alb_dns_name"`
	WebappBucket             string `json:"webapp_bucket"`
	CloudFrontDistributionID string `json:"cloudfront_distribution_id"`
	CloudFrontDomainName     string `json:"cloudfront_domain_name"`
	DBEndpoint               string `json:"db_endpoint"`
	DBSecretARN              string `json:"db_secret_arn"`
	LogGroupName             string `json:"log_group_name"`
	// The roles a task definition revision passes to ECS; only `empctl
	// iam-policy` needs them, so outputs saved before they existed still
	// deploy.
	TaskRoleARN      string `json:"task_role_arn" empctl:"optional"`
	ExecutionRoleARN string `json:"execution_role_arn" empctl:"optional"`
	// The Secrets Manager secret holding the operator key (the ARN only):
	// provision gives it a value, the gate and verify read it. Outputs saved
	// before it existed still deploy, without the key.
	OperatorKeySecretARN string `json:"operator_key_secret_arn" empctl:"optional"`

	// The plumbing of progressive delivery (blue/green, canary, linear),
	// empty unless terraform/ was applied with progressive_delivery on. The
	// test route header's value is a sensitive output, kept out of this
	// file: empctl reads it from the test listener rule.
	AlternateTargetGroupARN   string `json:"alternate_target_group_arn" empctl:"optional"`
	ProductionListenerRuleARN string `json:"production_listener_rule_arn" empctl:"optional"`
	TestListenerRuleARN       string `json:"test_listener_rule_arn" empctl:"optional"`
	ECSLoadBalancersRoleARN   string `json:"ecs_load_balancers_role_arn" empctl:"optional"`
	TestRouteHeaderName       string `json:"test_route_header_name" empctl:"optional"`
}

// AppURL is the app's public address.
func (o Outputs) AppURL() string {
	if o.CloudFrontDomainName == "" {
		return ""
	}
	return "https://" + o.CloudFrontDomainName
}

// Missing lists the Terraform outputs that are empty, by their output names,
// but for the optional ones.
func (o Outputs) Missing() []string {
	var missing []string
	v, t := reflect.ValueOf(o), reflect.TypeOf(o)
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("json")
		if name == "env" || name == "updated_at" || t.Field(i).Tag.Get("empctl") == "optional" {
			continue
		}
		if v.Field(i).String() == "" {
			missing = append(missing, name)
		}
	}
	return missing
}

// ParseOutputs builds Outputs from Terraform output values (name -> JSON value),
// ignoring outputs empctl does not use.
func ParseOutputs(values map[string]json.RawMessage) (Outputs, error) {
	var o Outputs
	t := reflect.TypeOf(o)
	v := reflect.ValueOf(&o).Elem()
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("json")
		raw, ok := values[name]
		if !ok || name == "env" || name == "updated_at" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Outputs{}, fmt.Errorf("terraform output %s is not a string: %s", name, raw)
		}
		v.Field(i).SetString(s)
	}
	return o, nil
}

// NoOutputsError says an environment has not been provisioned from this directory.
type NoOutputsError struct{ Env string }

func (e *NoOutputsError) Error() string {
	return fmt.Sprintf("no outputs for env %s: run `empctl provision --env %s` first", e.Env, e.Env)
}

// SaveOutputs writes dir/.empctl/<env>/outputs.json and returns what it wrote.
func SaveOutputs(dir, env string, o Outputs) (Outputs, error) {
	o.Env = env
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	}
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return Outputs{}, err
	}
	if err := writeAtomic(filepath.Join(EnvDir(dir, env), OutputsFile), append(data, '\n')); err != nil {
		return Outputs{}, fmt.Errorf("saving outputs: %w", err)
	}
	return o, nil
}

// writeAtomic writes a temporary file and renames it into place, so a reader
// never sees half a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; outputs hold no secrets and others read them.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadOutputs reads what `empctl provision --env env` saved. If there is
// nothing, the error is a *NoOutputsError telling the user what to run.
func LoadOutputs(dir, env string) (Outputs, error) {
	path := filepath.Join(EnvDir(dir, env), OutputsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Outputs{}, &NoOutputsError{Env: env}
	}
	if err != nil {
		return Outputs{}, fmt.Errorf("reading outputs: %w", err)
	}
	var o Outputs
	if err := json.Unmarshal(data, &o); err != nil {
		return Outputs{}, fmt.Errorf("%s is damaged (%v): run `empctl provision --env %s` to write it again", path, err, env)
	}
	return o, nil
}

// RemoveOutputs deletes the saved outputs, after the environment is destroyed.
func RemoveOutputs(dir, env string) error {
	err := os.Remove(filepath.Join(EnvDir(dir, env), OutputsFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing outputs: %w", err)
	}
	return nil
}
