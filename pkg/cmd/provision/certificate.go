package provision

import (
	"context"
	"fmt"

	"github.com/empctl/empctl/pkg/acmcheck"
	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
)

// checkCertificate refuses, before any plan, a certificate_arn that the ALB
// could not serve to CloudFront: in another region than the environment's, not
// ISSUED, or not covering every name in cloudfront_aliases (CloudFront checks
// the ALB's certificate against the viewer's Host, so an uncovered alias gets
// 502 on /api/*). Terraform's AWS provider cannot read a certificate's names
// by ARN, so no precondition in terraform/ can check this. Without
// certificate_arn, nothing is asked of AWS.
func checkCertificate(ctx context.Context, f *cmdutil.Factory, env config.Environment) error {
	certARN := ""
	if v := env.Vars["certificate_arn"]; v != nil {
		certARN = fmt.Sprint(v)
	}
	if certARN == "" {
		return nil
	}
	region, err := acmcheck.Region(certARN)
	if err != nil {
		return err
	}
	if region != env.Region {
		return fmt.Errorf("certificate_arn %s is in %s, but env %s is in %s: a load balancer serves certificates from its own region only; request or import the certificate in %s and set certificate_arn to it",
			certARN, region, env.Name, env.Region, env.Region)
	}
	var aliases []string
	if list, ok := env.Vars["cloudfront_aliases"].([]any); ok {
		for _, a := range list {
			aliases = append(aliases, fmt.Sprint(a))
		}
	}
	step(f, "Checking that certificate_arn is issued and covers cloudfront_aliases")
	cfg, err := (&awsenv.Env{Config: env}).AWSConfig(ctx)
	if err != nil {
		return err
	}
	return acmcheck.Check(ctx, cfg, certARN, aliases)
}
