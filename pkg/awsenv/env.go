// Package awsenv is the AWS environment: an account described by empctl.yaml
// (region, profile) and the Terraform outputs `empctl provision` saved. It
// implements env.Environment with the AWS SDK: the server image goes to ECR,
// rollouts to the ECS service, the webapp to S3 and CloudFront.
package awsenv

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/empctl/empctl/pkg/awsregion"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/image"
)

// Env is one AWS environment.
type Env struct {
	// Config is the environment's entry in empctl.yaml.
	Config config.Environment
	// Outputs are what provisioning produced: cluster, service, bucket...
	Outputs config.Outputs
	// SourceDir is the project directory the server is built from.
	SourceDir string
	// ImageFiles are empctl.yaml's image.files, local paths absolute: files
	// the server image gets besides the binary.
	ImageFiles map[string]string

	// Verbose, when set, is told the account, identity and region the
	// environment's AWS calls run as (-v).
	Verbose io.Writer
	// stsOptions are added to the preflight's STS client (tests count its
	// attempts).
	stsOptions []func(*sts.Options)

	cfgOnce sync.Once
	cfg     aws.Config
	cfgErr  error

	mu sync.Mutex
	// built holds the images BuildBackend made, by digest, until DeployBackend
	// pushes one.
	built map[string]*image.Image
}

var _ env.Environment = (*Env)(nil)

// New returns the AWS environment for cfg, provisioned with outputs, for the
// project in dir. Outputs that are missing are an error naming them.
func New(dir string, cfg config.Environment, outputs config.Outputs) (*Env, error) {
	if missing := outputs.Missing(); len(missing) > 0 {
		return nil, fmt.Errorf("the saved outputs of env %s lack %s: run `empctl provision --env %s` to write them again",
			cfg.Name, strings.Join(missing, ", "), cfg.Name)
	}
	if n, err := strconv.Atoi(outputs.DesiredCount); err != nil || n < 1 {
		return nil, fmt.Errorf("the saved output desired_count of env %s is %q, not a task count: run `empctl provision --env %s` to write it again", cfg.Name, outputs.DesiredCount, cfg.Name)
	}
	if cfg.Region != "" {
		if err := awsregion.Check(cfg.Region); err != nil {
			return nil, fmt.Errorf("empctl.yaml: env %s: region: %w", cfg.Name, err)
		}
	}
	if cfg.Region != "" && outputs.Region != "" && cfg.Region != outputs.Region {
		return nil, fmt.Errorf("env %s is in %s in empctl.yaml but was provisioned in %s: set region: %s back in empctl.yaml, or to move it, "+
			"`empctl destroy --env %s` with region: %s, then provision it in %s", cfg.Name, cfg.Region, outputs.Region, outputs.Region,
			cfg.Name, outputs.Region, cfg.Region)
	}
	return &Env{Config: cfg, Outputs: outputs, SourceDir: dir}, nil
}

func (e *Env) Name() string { return e.Config.Name }

// Endpoint is the CloudFront distribution: the app's one public entry point
// (the load balancer is internal to the VPC).
func (e *Env) Endpoint(context.Context) (string, error) { return e.Outputs.AppURL(), nil }

// AWSConfig loads the SDK configuration once: the default credential chain
// with the environment's region and profile. AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> are honoured by the SDK itself. Before it is
// handed out, one STS call checks that AWS can be used (preflight).
func (e *Env) AWSConfig(ctx context.Context) (aws.Config, error) {
	e.cfgOnce.Do(func() {
		e.cfg, e.cfgErr = e.loadConfig(ctx)
		if e.cfgErr != nil {
			return
		}
		var id Identity
		if id, e.cfgErr = e.preflight(ctx, e.cfg); e.cfgErr == nil && e.Verbose != nil {
			fmt.Fprintf(e.Verbose, "AWS account %s as %s in %s\n", id.Account, id.ARN, id.Region)
		}
	})
	return e.cfg, e.cfgErr
}

func (e *Env) loadConfig(ctx context.Context) (aws.Config, error) {
	region := e.region()
	// The SDK's own log lines (e.g. "WARN falling back to IMDSv1" where an
	// instance metadata service refuses the token) are not for users: what
	// went wrong is said in the error, in words.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region), awsconfig.WithLogger(logging.Nop{})}
	if e.Config.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(e.Config.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("loading the AWS configuration for env %s (profile %q, region %s): %w; check `aws configure list --profile %s`",
			e.Config.Name, e.Config.Profile, region, err, orDefault(e.Config.Profile))
	}
	// Throttling and transient errors of the service calls are retried with
	// backoff, never fatal: a rollout watch polls for many minutes. Set after
	// loading so that the credential chain keeps the SDK's own retries: the
	// instance metadata client takes the configured retryer, and ten attempts
	// at an IMDS that is not there made a machine without credentials wait 5 s.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.MaxBackoff = 20 * time.Second
		})
	}
	return cfg, nil
}

// region is empctl.yaml's region; New has checked it is the one the
// environment was provisioned in.
func (e *Env) region() string {
	if e.Config.Region != "" {
		return e.Config.Region
	}
	return e.Outputs.Region
}

func orDefault(profile string) string {
	if profile == "" {
		return "default"
	}
	return profile
}
