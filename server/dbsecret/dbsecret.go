// Package dbsecret reads the database credentials from the Secrets Manager
// secret that RDS manages, so that the server follows a password rotation
// without a restart.
package dbsecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/empctl/empctl/server/store"
)

// The staging labels of a rotation: during RDS's single-user rotation the
// database may already hold the AWSPENDING password while AWSCURRENT still
// names the old one.
const (
	current = "AWSCURRENT"
	pending = "AWSPENDING"
)

// Source is a store.CredentialSource on one secret. The AWS client comes from
// the default credential chain (the ECS task role in production) when it is
// first used.
type Source struct {
	arn    string
	region string

	mu     sync.Mutex
	client *secretsmanager.Client
}

// New checks that secretARN is a Secrets Manager ARN.
func New(secretARN string) (*Source, error) {
	a, err := arn.Parse(secretARN)
	if err != nil || a.Service != "secretsmanager" || a.Region == "" {
		return nil, fmt.Errorf("DB_SECRET_ARN=%q: not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", secretARN)
	}
	return &Source{arn: secretARN, region: a.Region}, nil
}

// ARN is the secret's ARN.
func (s *Source) ARN() string { return s.arn }

// Credentials returns AWSCURRENT's credentials, then AWSPENDING's when a
// rotation is under way and they differ.
func (s *Source) Credentials(ctx context.Context) ([]store.Credentials, error) {
	client, err := s.clientFor(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := s.read(ctx, client, current)
	if err != nil {
		return nil, err
	}
	out := []store.Credentials{cur}
	pend, err := s.read(ctx, client, pending)
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound): // no rotation under way
	case err != nil:
		return nil, err
	case pend.User != cur.User || pend.Password != cur.Password:
		out = append(out, pend)
	}
	return out, nil
}

func (s *Source) clientFor(ctx context.Context) (*secretsmanager.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	client, err := newClient(ctx, s.region)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration to read the database secret: %w", err)
	}
	s.client = client
	return client, nil
}

// newClient is a Secrets Manager client from the default credential chain;
// region is the secret's, used when nothing else sets one.
func newClient(ctx context.Context, region string) (*secretsmanager.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = region // outside ECS nothing may set AWS_REGION; the ARN names it
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

func (s *Source) read(ctx context.Context, client *secretsmanager.Client, stage string) (store.Credentials, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.arn), VersionStage: aws.String(stage)})
	if err != nil {
		return store.Credentials{}, fmt.Errorf("reading %s of the database secret %s from Secrets Manager (the task role needs secretsmanager:GetSecretValue on it): %w", stage, s.arn, err)
	}
	var v struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	// Never quote the secret: a JSON error message could show part of it.
	if out.SecretString == nil || json.Unmarshal([]byte(*out.SecretString), &v) != nil || v.Username == "" || v.Password == "" {
		return store.Credentials{}, fmt.Errorf(`%s of the database secret %s is not JSON like {"username":"...","password":"..."} with both fields set`, stage, s.arn)
	}
	return store.Credentials{User: v.Username, Password: v.Password, Label: stage}, nil
}
