package awsenv_test

import (
	"testing"

	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/env/resolve"
)

func TestResolve(t *testing.T) {
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	e, err := resolve.Environment(awsenvtest.EnvName, f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := e.Endpoint(t.Context())
	if err != nil || ep != "https://"+f.Outputs.CloudFrontDomainName {
		t.Fatalf("endpoint %q, %v", ep, err)
	}

}
