package config

import (
	"errors"
	"strings"

	"github.com/empctl/empctl/server/dbsecret"
)

// OperatorKey says where the operator key comes from (server/README.md,
// "Operator allowance"): a Secrets Manager secret on AWS, a file locally.
// Both empty: the allowance is off.
type OperatorKey struct {
	SecretARN string // OPERATOR_KEY_SECRET_ARN
	File      string // OPERATOR_KEY_FILE
}

func operatorKey(getenv func(string) string) (OperatorKey, error) {
	k := OperatorKey{SecretARN: strings.TrimSpace(getenv("OPERATOR_KEY_SECRET_ARN")), File: strings.TrimSpace(getenv("OPERATOR_KEY_FILE"))}
	switch {
	case k.SecretARN != "" && k.File != "":
		return OperatorKey{}, errors.New("OPERATOR_KEY_SECRET_ARN and OPERATOR_KEY_FILE are both set: give the operator key one way only")
	case k.SecretARN != "":
		if err := dbsecret.CheckARN("OPERATOR_KEY_SECRET_ARN", k.SecretARN); err != nil {
			return OperatorKey{}, err
		}
	}
	return k, nil
}
