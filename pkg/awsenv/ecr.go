package awsenv

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/authn"
)

// registryAuth returns credentials for the ECR registry from
// GetAuthorizationToken: a base64 "AWS:<password>" valid for 12 hours. The
// token's expiresAt is not checked: emulators report one in the past, and the
// registry itself is the judge (a 401 makes the push fetch a new token).
func (e *Env) registryAuth(ctx context.Context) (authn.Authenticator, error) {
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("getting an ECR login token for %s: %w%s", e.registryHost(), err, accessHint(err, "ecr:GetAuthorizationToken"))
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, errors.New("ECR returned no authorization token; try again, and check that ECR is available in " + cfg.Region)
	}
	raw, err := base64.StdEncoding.DecodeString(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return nil, fmt.Errorf("ECR returned an authorization token that is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return nil, errors.New("ECR returned an authorization token that is not user:password")
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
}

// registryHost is the registry part of ecr_repository_url.
func (e *Env) registryHost() string {
	host, _, _ := strings.Cut(e.Outputs.ECRRepositoryURL, "/")
	return host
}

// accessHint adds what to do when AWS refused a call for lack of permission
// or credentials.
func accessHint(err error, action string) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return fmt.Sprintf(" (the credentials in use may not call %s: check the profile and its IAM policy)", action)
	case "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "InvalidSignatureException":
		return " (the AWS credentials are invalid or expired: refresh them, e.g. `aws sso login`, and run again)"
	}
	return ""
}
