// Package operatorkey puts and reads an AWS environment's operator key, the
// secret that lets empctl's gate and verify count against the operator
// allowance instead of their address's limits (server/README.md, "Operator
// allowance"). Terraform creates the secret without a value, so that the
// key is never in its state; provision seeds it once.
package operatorkey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// operatorKeyLength is the length of the operator key provision puts in the
// secret (letters and digits).
const operatorKeyLength = 64

// seedToken is the client request token of the key's first version: a
// second provision racing the first cannot put another value (Secrets
// Manager refuses a known token with a different value), so the key that
// the servers may already have read is never replaced behind their back.
const seedToken = "empctl-operator-key-first-version-v1"

// Seed gives the operator key's secret (which Terraform creates
// without a value, so that the key is never in its state) a random value
// when it has no current one, and reports whether it did. A key that exists
// is kept: the running servers know it, and rotating it is the operator's
// decision (server/README.md).
func Seed(ctx context.Context, cfg aws.Config, secretARN string) (bool, error) {
	sm := secretsmanager.NewFromConfig(cfg)
	has, err := hasCurrent(ctx, sm, secretARN)
	if err != nil || has {
		return false, err
	}
	pw, err := sm.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{
		PasswordLength: aws.Int64(operatorKeyLength), ExcludePunctuation: aws.Bool(true), IncludeSpace: aws.Bool(false),
	})
	if err != nil {
		return false, fmt.Errorf("generating the operator key (secretsmanager:GetRandomPassword): %w", err)
	}
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretARN), SecretString: pw.RandomPassword, ClientRequestToken: aws.String(seedToken),
	})
	var exists *smtypes.ResourceExistsException
	if errors.As(err, &exists) { // another provision seeded it meanwhile
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("putting the operator key's value into %s (secretsmanager:PutSecretValue): %w", secretARN, err)
	}
	return true, nil
}

func hasCurrent(ctx context.Context, sm *secretsmanager.Client, arn string) (bool, error) {
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		return false, fmt.Errorf("reading the operator key's secret %s (secretsmanager:DescribeSecret): %w", arn, err)
	}
	for _, stages := range d.VersionIdsToStages {
		if slices.Contains(stages, "AWSCURRENT") {
			return true, nil
		}
	}
	return false, nil
}

// Read returns the key's current value. It is a secret: callers never print
// or save it, and errors name the secret, never the value.
func Read(ctx context.Context, cfg aws.Config, secretARN string) (string, error) {
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if err != nil {
		return "", fmt.Errorf("reading the operator key %s (secretsmanager:GetSecretValue): %w", secretARN, err)
	}
	key := strings.TrimSpace(aws.ToString(out.SecretString))
	if key == "" {
		return "", fmt.Errorf("the operator key %s has no text value", secretARN)
	}
	return key, nil
}
