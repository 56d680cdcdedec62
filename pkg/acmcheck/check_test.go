package acmcheck_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/empctl/empctl/pkg/acmcheck"
	"github.com/empctl/empctl/pkg/testenv"
)

// motoACM points this process's AWS SDK at a new moto server. A requested
// certificate stays PENDING_VALIDATION there (moto would issue it after
// MOTO_ACM_VALIDATION_WAIT seconds); an imported one is ISSUED.
func motoACM(t *testing.T) aws.Config {
	t.Helper()
	t.Setenv("MOTO_ACM_VALIDATION_WAIT", "86400")
	testenv.MotoEnv(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// ImportCertificate imports a self-signed certificate for cn and sans into
// ACM in region and returns its ARN.
func ImportCertificate(t *testing.T, cfg aws.Config, region, cn string, sans ...string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     sans,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := acm.NewFromConfig(cfg, func(o *acm.Options) { o.Region = region }).ImportCertificate(context.Background(), &acm.ImportCertificateInput{
		Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKey:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	})
	if err != nil {
		t.Fatalf("ACM ImportCertificate: %v", err)
	}
	return aws.ToString(out.CertificateArn)
}

func requestCertificate(t *testing.T, cfg aws.Config, domain string, sans ...string) string {
	t.Helper()
	out, err := acm.NewFromConfig(cfg).RequestCertificate(context.Background(), &acm.RequestCertificateInput{
		DomainName: aws.String(domain), SubjectAlternativeNames: sans,
	})
	if err != nil {
		t.Fatalf("ACM RequestCertificate: %v", err)
	}
	return aws.ToString(out.CertificateArn)
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
	exact := ImportCertificate(t, cfg, region, "example.com", "example.com", "app.example.com")
	wildcard := ImportCertificate(t, cfg, region, "*.example.com", "*.example.com")
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
		pending := requestCertificate(t, cfg, "app.example.com") // in us-east-1
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
