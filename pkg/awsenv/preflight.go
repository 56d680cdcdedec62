package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// preflightTimeout bounds the identity check: an endpoint that swallows
// packets is named after this instead of after the TCP timeout.
const preflightTimeout = 10 * time.Second

// Identity is who and where the environment's AWS calls run as.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	Region  string `json:"region"`
}

// preflight makes the one cheap call that tells whether AWS can be used at
// all (STS GetCallerIdentity needs no permission), once and without retries,
// so that missing or expired credentials and an unreachable endpoint are
// named in seconds, in words that say what to do.
func (e *Env) preflight(ctx context.Context, cfg aws.Config) (Identity, error) {
	// Not bounded: a credential process may be waiting for an MFA code.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return Identity{}, ctx.Err()
		}
		return Identity{}, e.credentialsError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	opts := append([]func(*sts.Options){func(o *sts.Options) { o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1) }}, e.stsOptions...)
	out, err := sts.NewFromConfig(cfg, opts...).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, e.callError(ctx, cfg.Region, err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), Region: cfg.Region}, nil
}

// login says how to get credentials for the environment's profile.
func (e *Env) login() string {
	p := e.Config.Profile
	if p == "" {
		p = os.Getenv("AWS_PROFILE")
	}
	if p == "" {
		return "run `aws configure` (access keys) or `aws sso login --profile NAME` (IAM Identity Center) and set AWS_PROFILE=NAME or profile: NAME in empctl.yaml"
	}
	return fmt.Sprintf("run `aws sso login --profile %s` (IAM Identity Center) or `aws configure --profile %s` (access keys), or set AWS_PROFILE to another profile", p, p)
}

func (e *Env) credentialsError(err error) error {
	where := "in the environment (AWS_ACCESS_KEY_ID), the shared files (~/.aws) or the instance's role"
	if p := e.Config.Profile; p != "" {
		where = fmt.Sprintf("for profile %q", p)
	}
	cause := ""
	if s := err.Error(); strings.Contains(strings.ToLower(s), "sso") {
		cause = " (the SSO session has expired or was never started)"
	}
	return fmt.Errorf("no AWS credentials for env %s %s%s: %s", e.Config.Name, where, cause, e.login())
}

func (e *Env) callError(ctx context.Context, region string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
			return fmt.Errorf("the AWS credentials for env %s have expired: %s", e.Config.Name, e.login())
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "IncompleteSignature":
			return fmt.Errorf("AWS rejected the credentials for env %s (%s: %s): %s", e.Config.Name, api.ErrorCode(), api.ErrorMessage(), e.login())
		}
		return fmt.Errorf("checking the AWS identity for env %s: %w", e.Config.Name, err)
	}
	endpoint := "AWS STS in " + region
	var ue *url.Error
	if errors.As(err, &ue) {
		endpoint = ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			endpoint = u.Scheme + "://" + u.Host
		}
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("no answer from %s within %s: check the network connection, HTTPS_PROXY and AWS_ENDPOINT_URL", endpoint, preflightTimeout)
	}
	return fmt.Errorf("cannot reach %s (%v): check the network connection, HTTPS_PROXY and AWS_ENDPOINT_URL", endpoint, err)
}
