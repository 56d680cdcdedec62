// Package acmcheck checks, before Terraform plans, that the ACM certificate
// given for the ALB's HTTPS listener (certificate_arn) is issued and covers
// the names CloudFront will check it against. The Terraform AWS provider cannot
// read a certificate's names by ARN, so no precondition can.
package acmcheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
)

// Region is the region of the ACM certificate certARN, from the ARN.
func Region(certARN string) (string, error) {
	a, err := arn.Parse(certARN)
	if err != nil || a.Service != "acm" || a.Region == "" || !strings.HasPrefix(a.Resource, "certificate/") {
		return "", fmt.Errorf("certificate_arn %q is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>): copy it from `aws acm list-certificates --region <region>`", certARN)
	}
	return a.Region, nil
}

// Check describes the certificate certARN with ACM in the certificate's own
// region and returns an error unless it is ISSUED and covers every one of
// hosts (see Covers). cfg supplies credentials and endpoints.
func Check(ctx context.Context, cfg aws.Config, certARN string, hosts []string) error {
	region, err := Region(certARN)
	if err != nil {
		return err
	}
	client := acm.NewFromConfig(cfg, func(o *acm.Options) { o.Region = region })
	out, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(certARN)})
	if err != nil {
		var notFound *types.ResourceNotFoundException
		if errors.As(err, &notFound) {
			return fmt.Errorf("certificate_arn %s: ACM in %s has no such certificate in this account: check the ARN (`aws acm list-certificates --region %s`)", certARN, region, region)
		}
		return fmt.Errorf("reading certificate_arn %s from ACM in %s (provision needs acm:DescribeCertificate): %w", certARN, region, err)
	}
	c := out.Certificate
	if c == nil {
		return fmt.Errorf("reading certificate_arn %s from ACM in %s: the answer holds no certificate", certARN, region)
	}
	if c.Status != types.CertificateStatusIssued {
		return notIssued(certARN, c.Status)
	}
	// ACM lists the domain name among the alternative names too.
	var names []string
	for _, n := range append([]string{aws.ToString(c.DomainName)}, c.SubjectAlternativeNames...) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if missing := Uncovered(names, hosts); len(missing) > 0 {
		return fmt.Errorf("certificate_arn %s does not cover %s (it covers %s): CloudFront forwards the viewer's Host to the ALB and checks the ALB's certificate against that name, so API requests on it would fail with 502. "+
			"Use a certificate in %s whose domain name or subject alternative names cover every name in cloudfront_aliases (a wildcard *.example.com covers one label: a.example.com, not example.com nor a.b.example.com), e.g. `aws acm request-certificate --region %s --validation-method DNS --domain-name %s`, or remove the name from cloudfront_aliases",
			certARN, strings.Join(missing, ", "), strings.Join(names, ", "), region, region, requestNames(hosts))
	}
	return nil
}

func notIssued(certARN string, status types.CertificateStatus) error {
	what := "request or import a new certificate and set certificate_arn to it"
	if status == types.CertificateStatusPendingValidation {
		what = "finish its validation (the DNS records are in `aws acm describe-certificate --certificate-arn " + certARN + "`), then run provision again"
	}
	return fmt.Errorf("certificate_arn %s is %s, not ISSUED: the ALB's HTTPS listener cannot serve it; %s", certARN, status, what)
}

// requestNames renders names as request-certificate arguments: the first as
// --domain-name, the rest as --subject-alternative-names, a wildcard quoted
// for the shell.
func requestNames(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = n
		if strings.Contains(n, "*") {
			quoted[i] = "'" + n + "'"
		}
	}
	s := quoted[0]
	if len(quoted) > 1 {
		s += " --subject-alternative-names " + strings.Join(quoted[1:], " ")
	}
	return s
}
