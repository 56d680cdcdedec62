package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/config"
)

func TestEnvironment(t *testing.T) {
	dir := t.TempDir()
	e, err := Environment("local", dir)
	if err != nil || e.Name() != "local" {
		t.Fatalf("local: %v, %v", e, err)
	}

	// An environment empctl.yaml does not define: say so and how to fix it.
	if _, err := Environment("prod", dir); err == nil || !strings.Contains(err.Error(), `"prod" is not defined`) {
		t.Fatalf("undefined prod: %v, want a not-defined error", err)
	}

	// A defined AWS environment that was never provisioned: say what to run.
	yaml := "environments:\n  prod:\n    region: eu-west-1\n"
	if err := os.WriteFile(filepath.Join(dir, "empctl.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Environment("prod", dir); err == nil || !strings.Contains(err.Error(), "run `empctl provision --env prod` first") {
		t.Fatalf("unprovisioned prod: %v, want the provision hint", err)
	}

	// Outputs that lack what the deploy needs: name them.
	if _, err := config.SaveOutputs(dir, "prod", config.Outputs{Region: "eu-west-1", ClusterName: "c"}); err != nil {
		t.Fatal(err)
	}
	_, err = Environment("prod", dir)
	if err == nil || !strings.Contains(err.Error(), "service_name") || !strings.Contains(err.Error(), "empctl provision --env prod") {
		t.Fatalf("incomplete outputs: %v, want the missing outputs named", err)
	}

	// Complete outputs: the AWS environment, its endpoint the CloudFront domain.
	full := config.Outputs{Region: "eu-west-1", ClusterName: "c", ServiceName: "s", ContainerName: "api", TaskFamily: "f",
		ECRRepositoryURL: "1.dkr.ecr.eu-west-1.amazonaws.com/r", TargetGroupARN: "arn:tg", ALBDNSName: "alb", WebappBucket: "b",
		CloudFrontDistributionID: "E1", CloudFrontDomainName: "d.cloudfront.net", DBEndpoint: "db", DBSecretARN: "arn:s", LogGroupName: "lg", DesiredCount: "3"}
	if _, err := config.SaveOutputs(dir, "prod", full); err != nil {
		t.Fatal(err)
	}
	e, err = Environment("prod", dir)
	if err != nil {
		t.Fatalf("provisioned prod: %v", err)
	}
	if ep, _ := e.Endpoint(t.Context()); e.Name() != "prod" || ep != "https://d.cloudfront.net" {
		t.Fatalf("provisioned prod: name %s, endpoint %s", e.Name(), ep)
	}
}
