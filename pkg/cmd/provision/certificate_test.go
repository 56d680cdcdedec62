package provision_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/empctl/empctl/pkg/acmcheck/acmchecktest"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/tf/tftest"
)

// appWithCertificate is tftest.App with terraform/'s two variables the
// certificate check reads.
const appWithCertificate = tftest.App + `
variable "certificate_arn" {
  type    = string
  default = ""
}
variable "cloudfront_aliases" {
  type    = list(string)
  default = []
}
`

func certYAML(vars string) string {
	return "environments:\n  test:\n    region: eu-west-1\n    vars:\n      desired_count: 2\n" + vars
}

// With certificate_arn, provision reads the certificate from ACM (moto, here
// behind a recording proxy) and refuses, before Terraform starts, one that is
// not issued, is in another region or does not cover every alias. Without
// certificate_arn it asks ACM nothing.
func TestProvisionChecksTheCertificate(t *testing.T) {
	tftest.Binary(t)
	t.Setenv("MOTO_ACM_VALIDATION_WAIT", "86400") // requested certificates stay pending
	endpoint := testenv.MotoEnv(t)
	proxy := testenv.NewAWSProxy(t, endpoint)
	t.Setenv("AWS_ENDPOINT_URL_ACM", proxy.URL)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	covering := acmchecktest.Import(t, cfg, "eu-west-1", "app.example.com", "app.example.com", "*.api.example.com")
	pending := acmchecktest.Request(t, cfg, "eu-west-1", "app.example.com")
	elsewhere := acmchecktest.Import(t, cfg, "us-east-1", "app.example.com", "app.example.com")

	for _, tc := range []struct {
		name, vars string
		// wantErr are parts of the error; none: the plan runs.
		wantErr []string
		// asks: whether ACM is asked.
		asks bool
	}{
		{name: "covered", asks: true,
			vars: fmt.Sprintf("      certificate_arn: %s\n      cloudfront_aliases: [app.example.com, eu.api.example.com]\n", covering)},
		{name: "not covered", asks: true,
			vars:    fmt.Sprintf("      certificate_arn: %s\n      cloudfront_aliases: [app.example.com, api.example.com, a.b.api.example.com]\n", covering),
			wantErr: []string{"does not cover api.example.com, a.b.api.example.com", "cloudfront_aliases"}},
		{name: "pending", asks: true,
			vars:    fmt.Sprintf("      certificate_arn: %s\n      cloudfront_aliases: [app.example.com]\n", pending),
			wantErr: []string{"PENDING_VALIDATION, not ISSUED"}},
		{name: "other region",
			vars:    fmt.Sprintf("      certificate_arn: %s\n      cloudfront_aliases: [app.example.com]\n", elsewhere),
			wantErr: []string{"is in us-east-1, but env test is in eu-west-1"}},
		{name: "no certificate",
			vars: "      cloudfront_aliases: [app.example.com]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy.Reset()
			project := tftest.Project(t, appWithCertificate, certYAML(tc.vars))
			res := run(t, project, invocation{}, "--dry-run")
			planned := strings.Contains(res.stdout.String(), "Plan for test")
			if len(tc.wantErr) == 0 {
				if res.err != nil || !planned {
					t.Fatalf("provision: %v\n%s", res.err, res.stderr)
				}
			} else {
				if res.err == nil {
					t.Fatalf("provision passed; want an error with %q", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(res.err.Error(), w) {
						t.Errorf("error lacks %q: %v", w, res.err)
					}
				}
				if strings.Contains(res.stderr.String(), "Initializing Terraform") || planned {
					t.Errorf("Terraform ran before the certificate was checked:\n%s", res.stderr)
				}
			}
			var calls []string
			for _, r := range proxy.Requests() {
				calls = append(calls, r.Header.Get("X-Amz-Target"))
			}
			switch {
			case tc.asks && (len(calls) != 1 || calls[0] != "CertificateManager.DescribeCertificate"):
				t.Errorf("ACM calls = %q, want one DescribeCertificate", calls)
			case !tc.asks && len(calls) > 0:
				t.Errorf("ACM calls = %q, want none", calls)
			}
		})
	}
}
