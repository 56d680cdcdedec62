package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/config"
)

const key = "k3y-0123456789abcdef0123456789abcdef"

// TestOperatorKeyFromSecret: the key is read from moto's Secrets Manager; a
// secret with no value yet (provision has not seeded it) or a key too short
// leaves the allowance off with a log line, and the server still starts.
// The key is never logged.
func TestOperatorKeyFromSecret(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.MotoConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	seeded, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("env/operator-key"), SecretString: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("env/unseeded")})
	if err != nil {
		t.Fatal(err)
	}
	short, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("env/short"), SecretString: aws.String("short")})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	if got := operatorKey(ctx, config.OperatorKey{SecretARN: *seeded.ARN}, log); got != key {
		t.Fatalf("seeded secret: got %d characters, want the key", len(got))
	}
	for _, arn := range []string{*empty.ARN, *short.ARN, strings.Replace(*seeded.ARN, "operator-key", "gone", 1)} {
		logs.Reset()
		if got := operatorKey(ctx, config.OperatorKey{SecretARN: arn}, log); got != "" {
			t.Fatalf("%s: got a key", arn)
		}
		if !strings.Contains(logs.String(), "operator allowance off") || !strings.Contains(logs.String(), arn) {
			t.Fatalf("%s: no clear log line: %s", arn, logs.String())
		}
	}
	if strings.Contains(logs.String(), key) {
		t.Fatal("the key is in the log")
	}
}

func TestOperatorKeyFromFile(t *testing.T) {
	dir := t.TempDir()
	good, short := filepath.Join(dir, "operator-key"), filepath.Join(dir, "short")
	if err := os.WriteFile(good, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(short, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	if got := operatorKey(context.Background(), config.OperatorKey{File: good}, log); got != key {
		t.Fatalf("got %q", got)
	}
	for _, f := range []string{short, filepath.Join(dir, "missing")} {
		if operatorKey(context.Background(), config.OperatorKey{File: f}, log) != "" {
			t.Fatalf("%s gave a key", f)
		}
	}
	if operatorKey(context.Background(), config.OperatorKey{}, log) != "" || strings.Contains(logs.String(), key) {
		t.Fatalf("no source gave a key, or the key was logged: %s", logs.String())
	}
}
