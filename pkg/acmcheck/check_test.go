package acmcheck_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/empctl/empctl/pkg/acmcheck"
	"github.com/empctl/empctl/pkg/acmcheck/acmchecktest"
	"github.com/empctl/empctl/pkg/testenv"
)

// motoACM points this process's AWS SDK at a new moto server. A requested
// certificate stays PENDING_VALIDATION there (moto would issue it after
// MOTO_ACM_VALIDATION_WAIT seconds); an imported one is ISSUED.
func motoACM(t *testing.T) aws.Config {
	t.Helper()
	t.Setenv("MOTO_ACM_VALIDATION_WAIT", "86400")
	return testenv.MotoConfig(t)
}

func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Check passed; want an error with %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q: %v", p, err)
		}
	}
}

func TestCheckAgainstMoto(t *testing.T) {
	ctx := context.Background()
	cfg := motoACM(t) // us-east-1
	// The certificates live in eu-west-1, the ALB's region: Check must ask
	// there, from the ARN, whatever the configuration's region.
	const region = "eu-west-1"
	exact := acmchecktest.Import(t, cfg, region, "example.com", "example.com", "app.example.com")
	wildcard := acmchecktest.Import(t, cfg, region, "*.example.com", "*.example.com")
	if !strings.Contains(exact, ":acm:eu-west-1:") {
		t.Fatalf("imported certificate %s is not in %s", exact, region)
	}

	t.Run("covered", func(t *testing.T) {
		if err := acmcheck.Check(ctx, cfg, exact, []string{"app.example.com", "example.com"}); err != nil {
			t.Error(err)
		}
		if err := acmcheck.Check(ctx, cfg, wildcard, []string{"app.example.com", "api.example.com"}); err != nil {
			t.Error(err)
		}
	})
	t.Run("not covered", func(t *testing.T) {
		err := acmcheck.Check(ctx, cfg, exact, []string{"app.example.com", "api.example.com", "www.example.org"})
		wantError(t, err, "does not cover api.example.com, www.example.org", "502", "cloudfront_aliases",
			"--region eu-west-1 --validation-method DNS --domain-name app.example.com --subject-alternative-names api.example.com www.example.org")
	})
	t.Run("wildcard covers one label only", func(t *testing.T) {
		err := acmcheck.Check(ctx, cfg, wildcard, []string{"app.example.com", "example.com", "a.b.example.com"})
		wantError(t, err, "does not cover example.com, a.b.example.com (it covers *.example.com)")
	})
	t.Run("pending validation", func(t *testing.T) {
		pending := acmchecktest.Request(t, cfg, "us-east-1", "app.example.com")
		err := acmcheck.Check(ctx, cfg, pending, []string{"app.example.com"})
		wantError(t, err, "is PENDING_VALIDATION, not ISSUED", "finish its validation")
	})
	t.Run("no such certificate", func(t *testing.T) {
		other := strings.Replace(exact, ":acm:eu-west-1:", ":acm:eu-central-1:", 1)
		err := acmcheck.Check(ctx, cfg, other, []string{"app.example.com"})
		wantError(t, err, "ACM in eu-central-1 has no such certificate", "list-certificates --region eu-central-1")
	})
	t.Run("not an ARN", func(t *testing.T) {
		err := acmcheck.Check(ctx, cfg, "arn:aws:iam::123456789012:server-certificate/x", nil)
		wantError(t, err, "is not an ACM certificate ARN")
	})
}

// A requested certificate, once validated (moto validates at once with a zero
// wait), is read with the names it was requested for.
func TestCheckRequestedCertificate(t *testing.T) {
	t.Setenv("MOTO_ACM_VALIDATION_WAIT", "0")
	cfg := testenv.MotoConfig(t)
	cert := acmchecktest.Request(t, cfg, "eu-west-1", "example.com", "*.example.com")
	if err := acmcheck.Check(context.Background(), cfg, cert, []string{"example.com", "app.example.com"}); err != nil {
		t.Error(err)
	}
	err := acmcheck.Check(context.Background(), cfg, cert, []string{"app.example.com", "a.b.example.com"})
	wantError(t, err, "does not cover a.b.example.com (it covers example.com, *.example.com)")
}
