package dbsecret

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// TestCredentialsThroughARotation reads a secret in moto's Secrets Manager at
// each step of RDS's single-user rotation.
func TestCredentialsThroughARotation(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.MotoConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rds!db-test"),
		SecretString: aws.String(`{"username":"admin","password":"old-pw","engine":"mysql"}`)})
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(*created.ARN)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(step string, want ...store.Credentials) {
		t.Helper()
		got, err := src.Credentials(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %+v, want %+v", step, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %+v, want %+v", step, got, want)
			}
		}
	}
	old := store.Credentials{User: "admin", Password: "old-pw", Label: "AWSCURRENT"}
	expect("before the rotation", old)

	pending, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN,
		SecretString: aws.String(`{"username":"admin","password":"new-pw"}`), VersionStages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatal(err)
	}
	expect("during the rotation", old, store.Credentials{User: "admin", Password: "new-pw", Label: "AWSPENDING"})

	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: created.ARN,
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: pending.VersionId, RemoveFromVersionId: created.VersionId}); err != nil {
		t.Fatal(err)
	}
	// AWSPENDING may stay on the promoted version: the same password once.
	expect("after the rotation", store.Credentials{User: "admin", Password: "new-pw", Label: "AWSCURRENT"})
}

func TestSecretErrors(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.MotoConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	bad, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("not-json"),
		SecretString: aws.String(`{"username":"admin","password":"TOPSECRET"`)})
	if err != nil {
		t.Fatal(err)
	}
	missingARN := strings.Replace(*bad.ARN, "not-json", "missing", 1)
	for arn, want := range map[string]string{
		*bad.ARN:   `is not JSON like {"username":"...","password":"..."}`,
		missingARN: "the task role needs secretsmanager:GetSecretValue",
	} {
		src, err := New(arn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Credentials(ctx)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arn, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "TOPSECRET") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}
