package awsenv_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
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

// empctl.yaml's image.files reach the image build, local paths relative to
// the file; a bad one fails the build saying where it was configured.
func TestResolveImageFiles(t *testing.T) {
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	path := filepath.Join(f.Dir, config.FileName)
	yaml, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	yaml = append(yaml, "image:\n  files:\n    /etc/empctl/rds-global-bundle.pem: certs/rds-global-bundle.pem\n"...)
	if err := os.WriteFile(path, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := resolve.Environment(awsenvtest.EnvName, f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(f.Dir, "certs", "rds-global-bundle.pem")
	if got := e.(*awsenv.Env).ImageFiles; len(got) != 1 || got["/etc/empctl/rds-global-bundle.pem"] != local {
		t.Fatalf("image files %v, want the bundle at %s", got, local)
	}
	_, err = e.BuildBackend(t.Context(), env.BuildOptions{}, io.Discard)
	for _, want := range []string{"empctl.yaml image.files", local + " does not exist"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("build with a missing image file: %v; want it to say %q", err, want)
		}
	}
}
