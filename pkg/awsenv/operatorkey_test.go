package awsenv_test

import (
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/resolve"
	"github.com/empctl/empctl/pkg/operatorkey"
)

// The environment reads the operator key provision seeded (moto's Secrets
// Manager), as the gate and verify do; an environment provisioned before
// the key existed says to provision it again, without the header.
func TestOperatorKeyFromTheSecret(t *testing.T) {
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	e, err := resolve.Environment(awsenvtest.EnvName, f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := operatorkey.Read(t.Context(), f.Config, f.Outputs.OperatorKeySecretARN)
	if err != nil {
		t.Fatal(err)
	}
	h, err := env.OperatorHeader(t.Context(), e)
	if err != nil || h.Get(env.OperatorHeaderName) != want {
		t.Fatalf("header %d characters, %v; want the seeded key", len(h.Get(env.OperatorHeaderName)), err)
	}

	o := f.Outputs
	o.OperatorKeySecretARN = ""
	old, err := awsenv.New(f.Dir, config.Environment{Name: awsenvtest.EnvName, Region: o.Region}, o)
	if err != nil {
		t.Fatal(err)
	}
	h, err = env.OperatorHeader(t.Context(), old)
	if h != nil || err == nil || !strings.Contains(err.Error(), "empctl provision --env test") {
		t.Fatalf("without the output: %v, %v", h, err)
	}
}
