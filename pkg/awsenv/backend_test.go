package awsenv_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/testenv"
)

// repoRoot is the module root: the sources the image is built from.
var repoRoot, _ = filepath.Abs("../..")

type events struct {
	mu  sync.Mutex
	all []env.Event
}

func (e *events) add(ev env.Event) { e.mu.Lock(); e.all = append(e.all, ev); e.mu.Unlock() }

func firstVersion(evs []env.Event) string {
	for _, ev := range evs {
		if ev.Version != "" {
			return ev.Version
		}
	}
	return ""
}

func (e *events) text() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		b.WriteString(ev.Message + "\n")
	}
	return b.String()
}

// registryEnv provisions the moto fixture with a real registry standing in for
// ECR, and the environment built from its outputs, which edit may change
// (given the registry's host).
func registryEnv(t *testing.T, edit func(*config.Outputs, string)) (*awsenvtest.Fixture, *awsenv.Env) {
	t.Helper()
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	reg := testenv.StartRegistry(t, "AWS", f.ECRPassword(t))
	f.UseRegistry(t, reg.Host)
	cfg, err := config.Load(f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := cfg.Env(awsenvtest.EnvName)
	o := f.Outputs
	if edit != nil {
		edit(&o, reg.Host)
	}
	e, err := awsenv.New(repoRoot, ec, o)
	if err != nil {
		t.Fatal(err)
	}
	return f, e
}

// TestBackendAgainstMotoAndARegistry builds the real server image, plans,
// pushes it to a real registry with the ECR token moto hands out, registers
// the revision and updates the service in moto. moto never progresses an ECS
// deployment, so the watch ends at its timeout; how a rollout ends is tested
// against the scripted ECS fake in pkg/ecsdeploy.
func TestBackendAgainstMotoAndARegistry(t *testing.T) {
	f, e := registryEnv(t, nil)
	ctx := t.Context()

	rel, err := e.BuildBackend(ctx, env.BuildOptions{}, io.Discard)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if !strings.HasPrefix(rel.Digest, "sha256:") || rel.Artifact != f.Outputs.ECRRepositoryURL+":"+rel.Version {
		t.Fatalf("release %+v", rel)
	}
	if _, err := e.BuildBackend(ctx, env.BuildOptions{Env: map[string]string{"X": "1"}}, io.Discard); err == nil || !strings.Contains(err.Error(), "terraform/") {
		t.Fatalf("--set-env on AWS: %v, want it refused with where to set it", err)
	}

	// --dry-run: the diff names the image pinned by digest; nothing is pushed.
	plan, err := e.PlanBackend(ctx, rel)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	ref := f.Outputs.ECRRepositoryURL + "@" + rel.Digest
	if !strings.Contains(plan.Diff, ref) || !strings.Contains(plan.Diff, ":initial") || len(plan.Steps) != 3 ||
		plan.Action != env.ActionRollout || plan.Version != rel.Version {
		t.Fatalf("plan %+v", plan)
	}
	repo, _ := name.NewRepository(f.Outputs.ECRRepositoryURL)
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: f.ECRPassword(t)}))
	if tags, err := remote.List(repo, auth); err == nil && len(tags) > 0 {
		t.Fatalf("a dry run pushed: tags %v", tags)
	}

	// The deploy pushes, registers and updates; moto's service never rolls.
	opts := env.DeployOptions{Timeout: 2 * time.Second, PollInterval: 200 * time.Millisecond, NoRollback: true}
	var evs events
	ro, err := e.DeployBackend(ctx, rel, opts, evs.add)
	if !errors.Is(err, env.ErrRolloutFailed) || ro.Outcome != env.OutcomeFailed || !strings.Contains(ro.Reason, "timed out") {
		t.Fatalf("deploy against moto: %+v, %v\n%s", ro, err, evs.text())
	}
	if ro.Image != ref || ro.Version != rel.Version {
		t.Fatalf("rollout %+v, want image %s", ro, ref)
	}
	if tags, err := remote.List(repo, auth); err != nil || len(tags) != 1 || tags[0] != rel.Version {
		t.Fatalf("registry tags %v, %v; want [%s]", tags, err, rel.Version)
	}
	svc, err := ecs.NewFromConfig(f.Config).DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(f.Outputs.ClusterName), Services: []string{f.Outputs.ServiceName}})
	if err != nil || !strings.HasSuffix(aws.ToString(svc.Services[0].TaskDefinition), ro.Revision) || ro.Revision != f.Outputs.TaskFamily+":2" {
		t.Fatalf("the service runs %v (%v), want the new revision %s", aws.ToString(svc.Services[0].TaskDefinition), err, ro.Revision)
	}

	// status describes the service on the new revision and its image.
	st, err := e.Status(ctx)
	if err != nil || st.Revision != ro.Revision || !strings.Contains(st.Image, rel.Digest) || st.Desired != 3 || st.Service != f.Outputs.ServiceName ||
		st.Endpoint != "https://"+f.Outputs.CloudFrontDomainName {
		t.Fatalf("status %+v, %v", st, err)
	}

	// The same build again: without --force it is refused as running, and
	// its dry run says so in the same words; with it, the dry run plans a
	// redeploy under a new version and the deploy runs one, reusing the tag
	// and uploading nothing.
	plan, err = e.PlanBackend(ctx, rel)
	if err != nil || plan.Action != env.ActionUnchanged || len(plan.Steps) != 0 || !strings.Contains(plan.Reason, "nothing to deploy") {
		t.Fatalf("dry run of the running build: %+v, %v; want nothing to deploy", plan, err)
	}
	if _, err := e.DeployBackend(ctx, rel, opts, func(env.Event) {}); !errors.Is(err, env.ErrSameBuild) || err.Error() != plan.Reason {
		t.Fatalf("a second deploy of the running build: %v, want ErrSameBuild saying what the dry run said: %s", err, plan.Reason)
	}
	evs = events{}
	forced := rel
	forced.Force = true
	plan, err = e.PlanBackend(ctx, forced)
	if err != nil || plan.Action != env.ActionRedeploy || !strings.HasPrefix(plan.Version, rel.Version+"+r") || plan.Current != ro.Revision {
		t.Fatalf("dry run of a forced redeploy: %+v, %v", plan, err)
	}
	forcedRo, err := e.DeployBackend(ctx, forced, opts, evs.add)
	if !strings.Contains(evs.text(), "nothing to push") {
		t.Fatalf("a second deploy of the same build pushed (%v):\n%s", err, evs.text())
	}
	if !strings.HasPrefix(forcedRo.Version, rel.Version+"+r") || forcedRo.PreviousRevision != plan.Current {
		t.Fatalf("forced redeploy %+v; the dry run planned %s over %s", forcedRo, plan.Version, plan.Current)
	}
	// The first event that names a version names the one rolled out (verify
	// announces each rollout with it), not the build's.
	if v := firstVersion(evs.all); v != forcedRo.Version {
		t.Fatalf("the first version in the events is %q, want the rolled-out %s:\n%s", v, forcedRo.Version, evs.text())
	}

	// A registry that refuses the token: a clear error after one fresh token.
	bad := f.Outputs
	bad.ECRRepositoryURL = testenv.StartRegistry(t, "AWS", "another-password").Host + "/empctl-test"
	cfg, err := config.Load(f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := cfg.Env(awsenvtest.EnvName)
	e2, _ := awsenv.New(repoRoot, ec, bad)
	rel2, err := e2.BuildBackend(ctx, env.BuildOptions{Force: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e2.DeployBackend(context.WithoutCancel(ctx), rel2, opts, func(env.Event) {})
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Fatalf("push with a refused token: %v", err)
	}
}

// The ECR repository is tag-immutable. When its tag for this version names
// another image than this build (the same sources built to other bytes: a
// build input that is not reproducible), the deploy pushes nothing, deploys
// the registry's image, and warns, saying how to deploy the local build.
func TestDeployReusesTheRegistryImageOfItsVersion(t *testing.T) {
	f, e := registryEnv(t, nil)
	ctx := t.Context()
	rel, err := e.BuildBackend(ctx, env.BuildOptions{}, io.Discard)
	if err != nil {
		t.Fatalf("build: %v", err)
	}

	// Another image is in the registry under this version.
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: f.ECRPassword(t)}))
	other, err := random.Index(512, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(f.Outputs.ECRRepositoryURL + ":" + rel.Version)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, other, auth); err != nil {
		t.Fatal(err)
	}
	otherDigest, _ := other.Digest()
	otherRef := f.Outputs.ECRRepositoryURL + "@" + otherDigest.String()

	opts := env.DeployOptions{Timeout: 2 * time.Second, PollInterval: 200 * time.Millisecond, NoRollback: true}
	var evs events
	ro, err := e.DeployBackend(ctx, rel, opts, evs.add) // moto's service never rolls: the watch times out
	if !errors.Is(err, env.ErrRolloutFailed) {
		t.Fatalf("deploy: %+v, %v\n%s", ro, err, evs.text())
	}
	if ro.Image != otherRef {
		t.Errorf("deployed %s, want the registry's image %s", ro.Image, otherRef)
	}
	td, err := ecs.NewFromConfig(f.Config).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ro.Revision)})
	if err != nil || aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image) != otherRef {
		t.Fatalf("revision %s runs %v (%v), want %s", ro.Revision, td, err, otherRef)
	}
	repo, _ := name.NewRepository(f.Outputs.ECRRepositoryURL)
	if _, err := remote.Head(repo.Digest(rel.Digest), auth); err == nil {
		t.Errorf("the local build %s was pushed", rel.Digest)
	}

	var warning string
	evs.mu.Lock()
	for _, ev := range evs.all {
		if ev.Kind == "warning" {
			warning = ev.Message
		}
	}
	evs.mu.Unlock()
	for _, want := range []string{rel.Version, otherDigest.String(), rel.Digest, "not reproducible", "Go version", "git commit"} {
		if !strings.Contains(warning, want) {
			t.Errorf("the warning %q lacks %q", warning, want)
		}
	}
	t.Logf("the warning: %s", warning)
}

// An ECR repository the outputs name but the account lacks (deleted, or
// outputs from another account): the dry run and the deploy say so, naming it
// and what to do, before anything is pushed. The stand-in registry would take
// any repository; ECR's own answer is moto's.
func TestMissingRepository(t *testing.T) {
	var o config.Outputs
	f, e := registryEnv(t, func(out *config.Outputs, host string) {
		out.ECRRepositoryURL = host + "/empctl-gone"
		o = *out
	})
	ctx := t.Context()
	rel, err := e.BuildBackend(ctx, env.BuildOptions{}, io.Discard)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	check := func(what string, err error) {
		t.Helper()
		for _, want := range []string{`ECR repository "empctl-gone" does not exist`, "run `empctl provision --env test`"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s into a missing repository: %v; want it to say %q", what, err, want)
			}
		}
		t.Logf("%s: %v", what, err)
	}
	_, err = e.PlanBackend(ctx, rel)
	check("dry run", err)
	_, err = e.DeployBackend(ctx, rel, env.DeployOptions{Timeout: 2 * time.Second, PollInterval: 200 * time.Millisecond, NoRollback: true}, func(env.Event) {})
	check("deploy", err)

	repo, _ := name.NewRepository(o.ECRRepositoryURL)
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: f.ECRPassword(t)}))
	if tags, err := remote.List(repo, auth); err == nil && len(tags) > 0 {
		t.Errorf("pushed to the missing repository: tags %v", tags)
	}
	td, err := ecs.NewFromConfig(f.Config).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(o.ClusterName), Services: []string{o.ServiceName}})
	if err != nil || aws.ToString(td.Services[0].TaskDefinition) != f.TaskDefinitionARN {
		t.Errorf("the service moved to %v (%v)", aws.ToString(td.Services[0].TaskDefinition), err)
	}
}
