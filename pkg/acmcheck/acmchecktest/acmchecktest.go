// Package acmchecktest puts certificates into moto's ACM for tests.
package acmchecktest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
)

// Import imports a self-signed certificate for cn with the subject
// alternative names sans into ACM in region, and returns its ARN. ACM (and
// moto) mark an imported certificate ISSUED.
func Import(t testing.TB, cfg aws.Config, region, cn string, sans ...string) string {
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

// Request requests a certificate for domain and sans in region, as
// `aws acm request-certificate` does. moto keeps it PENDING_VALIDATION for
// MOTO_ACM_VALIDATION_WAIT seconds (of the moto server's environment), then
// issues it.
func Request(t testing.TB, cfg aws.Config, region, domain string, sans ...string) string {
	t.Helper()
	out, err := acm.NewFromConfig(cfg, func(o *acm.Options) { o.Region = region }).RequestCertificate(context.Background(), &acm.RequestCertificateInput{
		DomainName: aws.String(domain), SubjectAlternativeNames: sans,
	})
	if err != nil {
		t.Fatalf("ACM RequestCertificate: %v", err)
	}
	return aws.ToString(out.CertificateArn)
}
