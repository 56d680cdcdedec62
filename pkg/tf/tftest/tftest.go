// Package tftest helps tests run a real Terraform binary on small
// configurations that need no provider download (terraform_data, variables,
// outputs), so they run offline.
package tftest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/tf"
)

// Binary returns the Terraform binary on PATH, or fails (CI) or skips the test.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := tf.FindBinary("")
	if err != nil {
		testenv.Missing(t, "terraform", "run .ci/run or install Terraform "+tf.PinnedVersion+
			": go install github.com/hashicorp/terraform@v"+tf.PinnedVersion)
	}
	return path
}

// Project creates a project directory: terraform/main.tf holding config and,
// if yaml is not empty, an empctl.yaml.
func Project(t testing.TB, config, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform", "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if yaml != "" {
		if err := os.WriteFile(filepath.Join(dir, "empctl.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// App stands in for terraform/: a "database", a "bucket" and a stateless
// resource, variables like the real ones and every output empctl saves, plus a
// sensitive output that must never be saved.
const App = `
terraform {
  backend "local" {}
}

variable "environment" { type = string }
variable "region" { type = string }
variable "profile" {
  type    = string
  default = null
}
variable "desired_count" {
  type    = number
  default = 3
}
variable "db_instance_class" {
  type    = string
  default = "db.t4g.micro"
}

resource "terraform_data" "database" {
  input = var.db_instance_class
}

resource "terraform_data" "bucket" {
  input = "${var.environment}-webapp"
}

resource "terraform_data" "service" {
  input = var.desired_count
}

output "region" { value = var.region }
output "cluster_name" { value = "empctl-${var.environment}" }
output "service_name" { value = "server" }
output "container_name" { value = "server" }
output "task_family" { value = "empctl-${var.environment}-server" }
output "desired_count" { value = tostring(var.desired_count) }
output "ecr_repository_url" { value = "123456789012.dkr.ecr.${var.region}.amazonaws.com/empctl-${var.environment}-server" }
output "target_group_arn" { value = "arn:aws:elasticloadbalancing:${var.region}:123456789012:targetgroup/empctl-${var.environment}/0123456789abcdef" }
output "alb_dns_name" { value = "empctl-${var.environment}-1.${var.region}.elb.amazonaws.com" }
output "webapp_bucket" { value = terraform_data.bucket.output }
output "cloudfront_distribution_id" { value = "E2EXAMPLE" }
output "cloudfront_domain_name" { value = "d111111abcdef8.cloudfront.net" }
output "db_endpoint" { value = "empctl-${var.environment}.abc.${var.region}.rds.amazonaws.com:3306" }
output "db_secret_arn" { value = "arn:aws:secretsmanager:${var.region}:123456789012:secret:rds!db-0000" }
output "log_group_name" { value = "/ecs/empctl-${var.environment}/server" }
output "db_instance_class" { value = terraform_data.database.output }
output "not_for_files" {
  value     = "s3cr3t-${var.environment}"
  sensitive = true
}
`

// AppReplacingDatabase is App where a change of db_instance_class replaces
// the "database", for tests of the data-loss warning.
var AppReplacingDatabase = strings.Replace(App, "input = var.db_instance_class",
	"input            = var.db_instance_class\n  triggers_replace = var.db_instance_class", 1)

// AppReplacingTargetGroup is App with a "target group" that a change of
// container_port replaces, new one first (create_before_destroy), as
// terraform/ replaces aws_lb_target_group.app.
const AppReplacingTargetGroup = App + `
variable "container_port" {
  type    = number
  default = 8080
}

resource "terraform_data" "target_group" {
  input            = var.container_port
  triggers_replace = var.container_port

  lifecycle {
    create_before_destroy = true
  }
}
`

// Slow has a resource whose creation takes two minutes, after a quick one, so
// a test can interrupt Terraform in the middle of an apply.
const Slow = `
terraform {
  backend "local" {}
}

variable "environment" { type = string }
variable "region" { type = string }
variable "profile" {
  type    = string
  default = null
}
variable "desired_count" {
  type    = number
  default = 3
}

resource "terraform_data" "first" {
  input = var.environment
}

resource "terraform_data" "slow" {
  depends_on = [terraform_data.first]
  provisioner "local-exec" {
    command = "sleep 120"
  }
}
`

// Failing fails during apply, with a message on stderr.
const Failing = `
terraform {
  backend "local" {}
}

variable "environment" { type = string }
variable "region" { type = string }
variable "profile" {
  type    = string
  default = null
}
variable "desired_count" {
  type    = number
  default = 3
}

resource "terraform_data" "broken" {
  provisioner "local-exec" {
    command = "echo 'cannot reach the widget API' >&2; exit 3"
  }
}
`

// Buffer is a bytes.Buffer safe for a test to read while Terraform writes.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// changed is signalled on every write.
	changed chan struct{}
}

// NewBuffer returns an empty Buffer.
func NewBuffer() *Buffer { return &Buffer{changed: make(chan struct{}, 1)} }

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor blocks until the buffer contains s, or done is closed; it reports
// whether s appeared.
func (b *Buffer) WaitFor(s string, done <-chan struct{}) bool {
	for {
		if strings.Contains(b.String(), s) {
			return true
		}
		select {
		case <-b.changed:
		case <-done:
			return strings.Contains(b.String(), s)
		}
	}
}
