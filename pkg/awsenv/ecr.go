package awsenv

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
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

// checkRepository fails when ECR says the repository in ecr_repository_url
// does not exist (deleted, or outputs from another account or region), before
// anything is pushed: a registry's answer to a push into a missing repository
// comes only after the blob uploads. Any other answer (the credentials may
// lack ecr:DescribeRepositories) leaves the judgement to the push.
func (e *Env) checkRepository(ctx context.Context) error {
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return err
	}
	host, repo, _ := strings.Cut(e.Outputs.ECRRepositoryURL, "/")
	in := &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}}
	if account, _, ok := strings.Cut(host, ".dkr.ecr."); ok {
		in.RegistryId = aws.String(account)
	}
	_, err = ecr.NewFromConfig(cfg).DescribeRepositories(ctx, in)
	var nf *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("ECR repository %q does not exist in region %s (ecr_repository_url %s of env %s): run `empctl provision --env %s` to create it and save the outputs again",
			repo, cfg.Region, e.Outputs.ECRRepositoryURL, e.Name(), e.Name())
	}
	return nil
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
