package dbsecret

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// CheckARN says whether secretARN, the value of the variable name, is a
// Secrets Manager secret ARN.
func CheckARN(name, secretARN string) error {
	if a, err := arn.Parse(secretARN); err != nil || a.Service != "secretsmanager" || a.Region == "" {
		return fmt.Errorf("%s=%q: not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", name, secretARN)
	}
	return nil
}

// Value reads the AWSCURRENT string of a plain-text secret (the operator
// key) with the same client as the database credentials. Errors name the
// secret, never its value.
func Value(ctx context.Context, secretARN string) (string, error) {
	a, err := arn.Parse(secretARN)
	if err != nil {
		return "", fmt.Errorf("%q is not a secret ARN", secretARN)
	}
	client, err := newClient(ctx, a.Region)
	if err != nil {
		return "", fmt.Errorf("loading the AWS configuration to read the secret %s: %w", secretARN, err)
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN), VersionStage: aws.String(current)})
	if err != nil {
		return "", fmt.Errorf("reading the secret %s from Secrets Manager (the task role needs secretsmanager:GetSecretValue on it): %w", secretARN, err)
	}
	if out.SecretString == nil || strings.TrimSpace(*out.SecretString) == "" {
		return "", fmt.Errorf("the secret %s has no text value", secretARN)
	}
	return strings.TrimSpace(*out.SecretString), nil
}
