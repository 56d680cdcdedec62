package awsenvtest

import (
	"cmp"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/iampolicy/iamcalls"
	"github.com/empctl/empctl/pkg/testenv"
)

// Recorded is a provisioned environment the AWS commands can deploy to and
// watch, every request they send recorded: moto answers ECR's API, ELB, S3,
// CloudFront and CloudWatch Logs, a real registry stands in for ECR's, and
// the ECS fake for ECS (moto never progresses a deployment), each behind a
// testenv.AWSProxy. The outputs name the fake's cluster, service and family.
type Recorded struct {
	*Fixture
	ECS *ecsfake.Fake
	// TaskDefinitionARN is revision 1 of the fake's family, registered as
	// terraform/ does (roles, tags, log configuration), on the placeholder
	// image; the caller sets the service's state (SetService,
	// SetFailedFirstDeployment).
	TaskDefinitionARN string
	// The recorders: moto's, the ECS fake's and the registry's.
	AWS, ECSRecorder, RegistryRecorder *testenv.AWSProxy
}

// RecordedOptions change the recorded fixture's revision 1.
type RecordedOptions struct {
	// BaseImage follows the repository URL in revision 1's image; default
	// ":initial", Terraform's placeholder.
	BaseImage string
	// BaseVersion, when set, is revision 1's version label, as a deploy
	// writes it.
	BaseVersion string
}

// ProvisionRecorded provisions the environment. AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_ECS point at the recorders, so an environment whose AWS
// configuration is loaded afterwards (awsenv loads it at its first call)
// goes through them; the fixture's own Config goes straight to moto.
func ProvisionRecorded(t testing.TB, opts RecordedOptions) *Recorded {
	t.Helper()
	r := &Recorded{Fixture: Provision(t, Options{})}
	reg := testenv.StartRegistry(t, "AWS", r.ECRPassword(t))
	r.RegistryRecorder = testenv.NewAWSProxy(t, "http://"+reg.Host)
	u, err := url.Parse(r.RegistryRecorder.URL)
	if err != nil {
		t.Fatal(err)
	}
	r.UseRegistry(t, u.Host)

	r.ECS = ecsfake.New(t, true)
	r.ECSRecorder = testenv.NewAWSProxy(t, r.ECS.URL)
	t.Setenv("AWS_ENDPOINT_URL_ECS", r.ECSRecorder.URL)
	o := r.Outputs
	o.ClusterName, o.ServiceName, o.TaskFamily, o.ContainerName = ecsfake.Cluster, ecsfake.Service, ecsfake.Family, "api"
	in := TaskDefinitionInput(o, o.ECRRepositoryURL+cmp.Or(opts.BaseImage, ":initial"))
	if opts.BaseVersion != "" {
		in.ContainerDefinitions[0].DockerLabels = map[string]string{ecsdeploy.VersionLabel: opts.BaseVersion}
	}
	td, err := r.ECS.Client().RegisterTaskDefinition(context.Background(), in)
	must(t, "ECS fake RegisterTaskDefinition", err)
	r.TaskDefinitionARN = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	if r.Outputs, err = config.SaveOutputs(r.Dir, EnvName, o); err != nil {
		t.Fatal(err)
	}

	r.AWS = testenv.NewAWSProxy(t, r.Endpoint)
	t.Setenv("AWS_ENDPOINT_URL", r.AWS.URL)
	return r
}

// Calls translates every request recorded so far into the authorizations
// AWS makes for it; a request it cannot translate fails the test.
func (r *Recorded) Calls(t testing.TB) []iamcalls.Call {
	t.Helper()
	tr := iamcalls.Translator{Partition: "aws", Account: ecsfake.Account}
	var calls []iamcalls.Call
	add := func(c []iamcalls.Call, err error) {
		if err != nil {
			t.Errorf("a request the commands sent cannot be judged: %v", err)
		}
		calls = append(calls, c...)
	}
	for _, req := range append(r.AWS.Requests(), r.ECSRecorder.Requests()...) {
		add(tr.AWS(req))
	}
	for _, req := range r.RegistryRecorder.Requests() {
		add(tr.Registry(req, r.Outputs.Region))
	}
	return calls
}

// CheckPolicy fails the test for every call recorded so far that the
// deployer policy `empctl iam-policy` generates for the environment does
// not allow, naming the call, the action and the resource.
func (r *Recorded) CheckPolicy(t testing.TB) {
	t.Helper()
	scope, err := iampolicy.ScopeFromOutputs(r.Outputs)
	if err != nil {
		t.Fatalf("the deployer policy of the fixture: %v", err)
	}
	calls := r.Calls(t)
	if len(calls) == 0 {
		t.Fatal("no AWS request was recorded: the commands did not go through the recorders")
	}
	var refused []string
	for _, c := range iamcalls.Disallowed(iampolicy.Generate(scope), calls) {
		refused = append(refused, c.String())
	}
	if len(refused) > 0 {
		t.Errorf("the deployer policy (pkg/iampolicy) does not allow %d of the %d authorizations the commands needed:\n  %s",
			len(refused), len(calls), strings.Join(refused, "\n  "))
	}
}
