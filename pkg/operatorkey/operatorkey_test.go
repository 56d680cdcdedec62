package operatorkey

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/empctl/empctl/pkg/testenv"
)

// Against moto's Secrets Manager: a secret Terraform made without a value
// is seeded once with a random key; seeding again keeps it, as it keeps a
// key the operator rotated by hand; Read returns it.
func TestSeedOnceThenKeep(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.MotoConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	s, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empctl-test-operator-key")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(s.ARN)
	if _, err := Read(ctx, cfg, arn); err == nil {
		t.Fatal("read a key from a secret with no value")
	}
	seeded, err := Seed(ctx, cfg, arn)
	if err != nil || !seeded {
		t.Fatalf("first seed: %v, %v", seeded, err)
	}
	key, err := Read(ctx, cfg, arn)
	if err != nil || len(key) != operatorKeyLength || strings.ContainsAny(key, " \t\n!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") {
		t.Fatalf("the seeded key is %d characters (%v), want %d letters and digits", len(key), err, operatorKeyLength)
	}
	if seeded, err := Seed(ctx, cfg, arn); err != nil || seeded {
		t.Fatalf("second seed: %v, %v; want the key kept", seeded, err)
	}
	if again, _ := Read(ctx, cfg, arn); again != key {
		t.Fatal("a second seed changed the key")
	}
	rotated := strings.Repeat("r", 64)
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(rotated)}); err != nil {
		t.Fatal(err)
	}
	if seeded, err := Seed(ctx, cfg, arn); err != nil || seeded {
		t.Fatalf("seed after a rotation: %v, %v", seeded, err)
	}
	if got, _ := Read(ctx, cfg, arn); got != rotated {
		t.Fatal("seeding replaced the operator's rotated key")
	}
	if _, err := Seed(ctx, cfg, strings.Replace(arn, "operator-key", "gone", 1)); err == nil || !strings.Contains(err.Error(), "DescribeSecret") {
		t.Fatalf("a missing secret: %v", err)
	}
}
