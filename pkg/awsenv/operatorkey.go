package awsenv

import (
	"context"
	"fmt"

	"github.com/empctl/empctl/pkg/operatorkey"
)

// OperatorKey reads the environment's operator key (server/README.md,
// "Operator allowance") from its secret, for the gate's and verify's load.
// The value is a secret: callers never print or save it.
func (e *Env) OperatorKey(ctx context.Context) (string, error) {
	arn := e.Outputs.OperatorKeySecretARN
	if arn == "" {
		return "", fmt.Errorf("env %s was provisioned before it had an operator key: run `empctl provision --env %s`", e.Name(), e.Name())
	}
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return "", err
	}
	key, err := operatorkey.Read(ctx, cfg, arn)
	if err != nil {
		return "", fmt.Errorf("%w (the deployer needs secretsmanager:GetSecretValue on it, see `empctl iam-policy`; `empctl provision --env %s` gives it its value)", err, e.Name())
	}
	return key, nil
}
