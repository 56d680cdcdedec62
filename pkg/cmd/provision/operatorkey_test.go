package provision_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/operatorkey"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/tf/tftest"
)

// provision gives the operator key's secret (moto's Secrets Manager, made
// without a value as terraform/ makes it) a random value on the first run
// and keeps it on the next; the value is in no output, file or message.
func TestProvisionSeedsTheOperatorKeyOnce(t *testing.T) {
	tftest.Binary(t)
	testenv.MotoEnv(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empctl-test-operator-key")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(s.ARN)
	project := tftest.Project(t, tftest.App+"\noutput \"operator_key_secret_arn\" { value = \""+arn+"\" }\n", testYAML)

	res := run(t, project, invocation{}, "--yes")
	if res.err != nil {
		t.Fatalf("provision: %v\n%s", res.err, res.stderr)
	}
	key, err := operatorkey.Read(ctx, cfg, arn)
	if err != nil {
		t.Fatalf("the secret has no value after provision: %v\n%s", err, res.stderr)
	}
	if !strings.Contains(res.stderr.String(), "Gave the operator key a random value") {
		t.Errorf("provision did not say it seeded the key:\n%s", res.stderr)
	}
	if o, err := config.LoadOutputs(project, "test"); err != nil || o.OperatorKeySecretARN != arn {
		t.Errorf("saved operator_key_secret_arn %q, %v", o.OperatorKeySecretARN, err)
	}
	res2 := run(t, project, invocation{output: "json"}, "--yes")
	if res2.err != nil {
		t.Fatalf("second provision: %v\n%s", res2.err, res2.stderr)
	}
	if again, _ := operatorkey.Read(ctx, cfg, arn); again != key {
		t.Fatal("a second provision replaced the operator key")
	}
	var files []string
	_ = filepath.Walk(project, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.Contains(p, string(filepath.Separator)+".terraform"+string(filepath.Separator)) {
			files = append(files, p)
		}
		return nil
	})
	for _, p := range files {
		if b, _ := os.ReadFile(p); strings.Contains(string(b), key) {
			t.Errorf("%s holds the operator key", p)
		}
	}
	for _, out := range []string{res.stdout.String(), res.stderr.String(), res2.stdout.String(), res2.stderr.String()} {
		if strings.Contains(out, key) {
			t.Fatal("provision printed the operator key")
		}
	}
}
