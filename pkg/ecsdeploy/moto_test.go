package ecsdeploy

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/empctl/empctl/pkg/ecsdeploy/internal/wire"
	"github.com/empctl/empctl/pkg/testenv"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	repo    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/empctl-server"
)

// TestMoto runs the parts of a rollout moto emulates against one moto server;
// each subtest has a cluster and a family of its own.
func TestMoto(t *testing.T) {
	endpoint := testenv.MotoEnv(t)
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := Clients{ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg)}

	t.Run("RegisterKeepsEverythingButTheImage", func(t *testing.T) { testRegister(t, c) })
	t.Run("Plan", func(t *testing.T) { testPlan(t, c) })
	t.Run("DeployUpdatesTheService", func(t *testing.T) { testMotoDeploy(t, c) })
	t.Run("PreviousRevision", func(t *testing.T) { testPreviousRevision(t, c) })
	t.Run("StatusAndTargetHealth", func(t *testing.T) { testStatus(t, c, endpoint) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, c) })
}

// fixture creates a cluster, a task definition of family name shaped like the
// one Terraform writes (and then some), and a service on it.
func fixture(t *testing.T, c Clients, name string) Service {
	t.Helper()
	ctx := t.Context()
	svc := Service{Cluster: name + "-cluster", Name: name, Container: "api", Family: name}
	if _, err := c.ECS.(*ecs.Client).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(svc.Cluster)}); err != nil {
		t.Fatal(err)
	}
	td := registerFixture(t, c, name, "512", repo+":placeholder")
	if _, err := c.ECS.(*ecs.Client).CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(svc.Cluster), ServiceName: aws.String(svc.Name), TaskDefinition: td.TaskDefinitionArn,
		DesiredCount: aws.Int32(3), LaunchType: types.LaunchTypeFargate,
	}); err != nil {
		t.Fatal(err)
	}
	return svc
}

func registerFixture(t *testing.T, c Clients, family, memory, image string) *types.TaskDefinition {
	t.Helper()
	out, err := c.ECS.RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String(memory),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
		TaskRoleArn:             aws.String("arn:aws:iam::123456789012:role/task"),
		RuntimePlatform:         &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureArm64, OperatingSystemFamily: types.OSFamilyLinux},
		EphemeralStorage:        &types.EphemeralStorage{SizeInGiB: 30},
		ContainerDefinitions: []types.ContainerDefinition{
			{
				Name: aws.String("api"), Image: aws.String(image), Essential: aws.Bool(true), Memory: aws.Int32(256),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp}},
				Environment:  []types.KeyValuePair{{Name: aws.String("EMPCTL_ADDR"), Value: aws.String(":8080")}},
				Secrets:      []types.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::")}},
				HealthCheck: &types.HealthCheck{
					Command: []string{"CMD", "/server", "healthcheck"}, Interval: aws.Int32(10), Timeout: aws.Int32(5), Retries: aws.Int32(3), StartPeriod: aws.Int32(15),
				},
				LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
					"awslogs-group": "/ecs/" + family, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api",
				}},
				StopTimeout:            aws.Int32(40),
				DockerLabels:           map[string]string{"team": "platform"},
				User:                   aws.String("65532:65532"),
				ReadonlyRootFilesystem: aws.Bool(true),
			},
			{
				Name: aws.String("log-router"), Image: aws.String("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"),
				Essential: aws.Bool(false), Memory: aws.Int32(64),
				FirelensConfiguration: &types.FirelensConfiguration{Type: types.FirelensConfigurationTypeFluentbit},
			},
		},
		Tags: []types.Tag{{Key: aws.String("project"), Value: aws.String("empctl")}, {Key: aws.String("env"), Value: aws.String("test")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.TaskDefinition
}

func testRegister(t *testing.T, c Clients) {
	ctx := t.Context()
	svc := fixture(t, c, "register")
	// Terraform changed the memory since: the latest revision is the base.
	latest := registerFixture(t, c, svc.Family, "1024", repo+":placeholder")

	image := repo + "@" + digestA
	reg, err := Register(ctx, c, svc, image, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if reg.Revision != 3 || reg.BasedOn != aws.ToString(latest.TaskDefinitionArn) || !strings.HasSuffix(reg.ARN, ":task-definition/register:3") {
		t.Fatalf("Register = %+v, want revision 3 based on %s", reg, aws.ToString(latest.TaskDefinitionArn))
	}
	base, baseTags, err := describeTaskDefinition(ctx, c, aws.ToString(latest.TaskDefinitionArn))
	if err != nil {
		t.Fatal(err)
	}
	got, gotTags, err := describeTaskDefinition(ctx, c, reg.ARN)
	if err != nil {
		t.Fatal(err)
	}

	// The field by field checks name what a rollout must never lose.
	api, sidecar := container(got, "api"), container(got, "log-router")
	if aws.ToString(api.Image) != image {
		t.Errorf("image = %q, want %q", aws.ToString(api.Image), image)
	}
	if api.DockerLabels[VersionLabel] != "v1.2.3" || api.DockerLabels["team"] != "platform" {
		t.Errorf("docker labels = %v, want the version label added to team", api.DockerLabels)
	}
	// The server reports the version from APP_VERSION; the other variables stay.
	if env := api.Environment; len(env) != 2 || aws.ToString(env[0].Name) != "EMPCTL_ADDR" || aws.ToString(env[1].Name) != VersionEnv || aws.ToString(env[1].Value) != "v1.2.3" {
		t.Errorf("environment = %+v, want EMPCTL_ADDR kept and %s=v1.2.3 added", env, VersionEnv)
	}
	if rp := got.RuntimePlatform; rp == nil || rp.CpuArchitecture != types.CPUArchitectureArm64 || rp.OperatingSystemFamily != types.OSFamilyLinux {
		t.Errorf("runtimePlatform = %+v", rp)
	}
	if hc := api.HealthCheck; hc == nil || strings.Join(hc.Command, " ") != "CMD /server healthcheck" || aws.ToInt32(hc.StartPeriod) != 15 || aws.ToInt32(hc.Retries) != 3 {
		t.Errorf("healthCheck = %+v", hc)
	}
	if len(api.Secrets) != 1 || aws.ToString(api.Secrets[0].ValueFrom) != "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::" {
		t.Errorf("secrets = %+v", api.Secrets)
	}
	if lc := api.LogConfiguration; lc == nil || lc.LogDriver != types.LogDriverAwslogs || lc.Options["awslogs-group"] != "/ecs/register" {
		t.Errorf("logConfiguration = %+v", lc)
	}
	if aws.ToInt32(api.StopTimeout) != 40 {
		t.Errorf("stopTimeout = %v, want 40", aws.ToInt32(api.StopTimeout))
	}
	if aws.ToString(got.Memory) != "1024" || aws.ToString(got.Cpu) != "256" {
		t.Errorf("cpu/memory = %s/%s, want the latest revision's 256/1024", aws.ToString(got.Cpu), aws.ToString(got.Memory))
	}
	if aws.ToString(sidecar.Image) != "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable" || sidecar.FirelensConfiguration == nil {
		t.Errorf("the other container changed: %+v", sidecar)
	}
	if len(gotTags) != 2 {
		t.Errorf("tags = %+v, want project and env", gotTags)
	}

	// And the whole: the new revision as a request equals the base's with only
	// the image, the label and the version variable changed.
	want := registerInput(base, baseTags)
	if err := setImage(want, "api", image, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := wire.Indented(want)
	gotJSON, _ := wire.Indented(registerInput(got, gotTags))
	if wantJSON != gotJSON {
		t.Errorf("the new revision differs from its base beyond the image:\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if aws.ToString(container(base, "api").Image) != repo+":placeholder" {
		t.Error("Register changed the base it copied")
	}
}

func testPlan(t *testing.T, c Clients) {
	ctx := t.Context()
	svc := fixture(t, c, "plan")
	registerFixture(t, c, svc.Family, "1024", repo+":placeholder")
	p, err := Plan(ctx, c, svc, repo+"@"+digestA, "v2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--- plan:1 (running)\n", "+++ plan:new (from plan:2)\n",
		`-      "image": "` + repo + `:placeholder",`, `+      "image": "` + repo + "@" + digestA + `",`,
		`+        "` + VersionLabel + `": "v2",`,
		`-  "memory": "512",`, `+  "memory": "1024",`,
	} {
		if !strings.Contains(p.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, p.Diff)
		}
	}
	if strings.Contains(p.Diff, "taskDefinitionArn") || strings.Contains(p.Diff, "registeredAt") {
		t.Errorf("diff shows read-only fields:\n%s", p.Diff)
	}
	// Nothing changed anywhere.
	out, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("plan")})
	if err != nil || len(out.TaskDefinitionArns) != 2 {
		t.Errorf("revisions after Plan = %v (%v), want the 2 there were", out.TaskDefinitionArns, err)
	}
	if _, err := Plan(ctx, c, svc, repo+":v2", "v2"); err == nil || !strings.Contains(err.Error(), "not pinned by digest") {
		t.Errorf("Plan with a tag = %v, want a not-pinned error", err)
	}
}

// moto's UpdateService changes the service's task definition and nothing else:
// no new deployment, so the watch never sees one and times out; without a
// rollback the service stays on the new revision.
func testMotoDeploy(t *testing.T, c Clients) {
	ctx := t.Context()
	svc := fixture(t, c, "deploy")
	reg, err := Register(ctx, c, svc, repo+"@"+digestA, "v1")
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	res, err := Deploy(ctx, c, svc, reg.ARN, WatchOptions{
		PollInterval: 10 * time.Millisecond, Timeout: 100 * time.Millisecond, NoRollback: true,
		Progress: func(e Event) { events = append(events, e) },
	})
	var re *RolloutError
	if !errors.Is(err, ErrRolloutFailed) || !errors.As(err, &re) || res.Outcome != TimedOut {
		t.Fatalf("Deploy on moto = %+v, %v; want a timeout", res, err)
	}
	if res.Rollback == nil || res.Rollback.Method != "none" || !strings.Contains(err.Error(), "not rolled back: rollback disabled") {
		t.Errorf("rollback = %+v, error %q", res.Rollback, err)
	}
	s, err := describeService(ctx, c, svc)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(s.TaskDefinition) != reg.ARN {
		t.Errorf("service task definition = %s, want %s", aws.ToString(s.TaskDefinition), reg.ARN)
	}
	if len(events) == 0 || !strings.Contains(events[0].Message, "updated service deploy from deploy:1 to deploy:2") {
		t.Errorf("first event = %+v", events)
	}
}

func testPreviousRevision(t *testing.T, c Clients) {
	ctx := t.Context()
	svc := fixture(t, c, "previous") // revision 1: Terraform's placeholder
	r2, err := Register(ctx, c, svc, repo+"@"+digestA, "v1")
	if err != nil {
		t.Fatal(err)
	}
	registerFixture(t, c, svc.Family, "1024", repo+":placeholder") // 3: Terraform again
	r4, err := Register(ctx, c, svc, repo+"@"+digestB, "v2")
	if err != nil {
		t.Fatal(err)
	}
	got, err := previousRevision(ctx, c, svc, r4.ARN)
	if err != nil || got != r2.ARN {
		t.Errorf("previous of %s = %s, %v; want %s (skipping Terraform's revision 3)", r4.ARN, got, err, r2.ARN)
	}
	if _, err := previousRevision(ctx, c, svc, r2.ARN); err == nil || !strings.Contains(err.Error(), "name the revision") {
		t.Errorf("previous of the first deployed revision = %v, want an error saying to name one", err)
	}
	_, err = Rollback(ctx, c, svc, 9, WatchOptions{})
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `task definition "previous:9" not found`) {
		t.Errorf("Rollback to a missing revision = %v", err)
	}
}

func testStatus(t *testing.T, c Clients, endpoint string) {
	ctx := t.Context()
	svc := fixture(t, c, "status")
	reg, err := Register(ctx, c, svc, repo+"@"+digestA, "v7")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(svc.Cluster), Service: aws.String(svc.Name), TaskDefinition: aws.String(reg.ARN)}); err != nil {
		t.Fatal(err)
	}
	subnet, vpc := motoSubnet(t, endpoint)
	// moto starts no task for a service; RunTask stands in for its scheduler.
	run, err := c.ECS.(*ecs.Client).RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String(svc.Cluster), TaskDefinition: aws.String(reg.ARN), Count: aws.Int32(2), StartedBy: aws.String("ecs-svc/1"),
		LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{subnet}, SecurityGroups: []string{},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, task := range run.Tasks {
		ips = append(ips, taskIP(task))
	}
	tg, err := c.ELB.(*elb.Client).CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("status"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp, VpcId: aws.String(vpc),
	})
	if err != nil {
		t.Fatal(err)
	}
	svc.TargetGroupARN = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := c.ELB.(*elb.Client).RegisterTargets(ctx, &elb.RegisterTargetsInput{
		TargetGroupArn: aws.String(svc.TargetGroupARN),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String(ips[0]), Port: aws.Int32(8080)}, {Id: aws.String(ips[1]), Port: aws.Int32(8080)}},
	}); err != nil {
		t.Fatal(err)
	}

	st, err := Status(ctx, c, svc, 10)
	if err != nil {
		t.Fatal(err)
	}
	if st.Revision != 2 || st.Image != repo+"@"+digestA || st.Digest != digestA || st.Version != "v7" || st.Desired != 3 {
		t.Errorf("Status = %+v", st)
	}
	if len(st.Tasks) != 2 || st.Tasks[0].Revision != 2 || st.Tasks[0].Target != "healthy" || st.Tasks[0].IP == "" {
		t.Errorf("tasks = %+v, want the 2 run, healthy in the target group", st.Tasks)
	}
	// moto reports registered targets healthy at once, and no zone for them.
	if len(st.Targets) != 1 || st.Targets[0].Healthy != 2 || st.Targets[0].AZ != "unknown" {
		t.Errorf("targets = %+v, want 2 healthy", st.Targets)
	}
}

func testNotFound(t *testing.T, c Clients) {
	ctx := t.Context()
	svc := fixture(t, c, "notfound")
	image := repo + "@" + digestA
	for _, tc := range []struct {
		name string
		call func(context.Context, Clients, Service) error
		edit func(*Service)
		want string
	}{
		{"cluster", statusCall, func(s *Service) { s.Cluster = "nope" }, `ECS cluster "nope" not found: is the environment provisioned`},
		{"service", statusCall, func(s *Service) { s.Name = "nope" }, `ECS service "nope" not found: no active service of that name in cluster notfound-cluster`},
		{"family", registerCall(image), func(s *Service) { s.Family = "nope" }, `task definition "nope" not found: ECS says: Unable to describe task definition.`},
		{"container", registerCall(image), func(s *Service) { s.Container = "nope" }, `container "nope" not found: task definition family notfound has containers api, log-router; check container_name`},
		{"deploy to a missing cluster", deployCall, func(s *Service) { s.Cluster = "nope" }, `ECS cluster "nope" not found`},
	} {
		s := svc
		tc.edit(&s)
		err := tc.call(ctx, c, s)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want a NotFoundError with %q", tc.name, err, tc.want)
		}
		if errors.Is(err, ErrRolloutFailed) {
			t.Errorf("%s: an operational error says the rollout failed", tc.name)
		}
	}
}

func statusCall(ctx context.Context, c Clients, s Service) error {
	_, err := Status(ctx, c, s, 1)
	return err
}

func deployCall(ctx context.Context, c Clients, s Service) error {
	_, err := Deploy(ctx, c, s, "notfound:1", WatchOptions{})
	return err
}

func registerCall(image string) func(context.Context, Clients, Service) error {
	return func(ctx context.Context, c Clients, s Service) error {
		_, err := Register(ctx, c, s, image, "v")
		return err
	}
}

// motoSubnet is a subnet of moto's default VPC, which ECS's awsvpc tasks need.
func motoSubnet(t *testing.T, endpoint string) (subnet, vpc string) {
	t.Helper()
	subnets, vpc := motoSubnets(t, endpoint)
	return subnets[0], vpc
}

// motoSubnets are the subnets of moto's default VPC, one per zone. It asks
// EC2's query API directly: one call is not worth the EC2 SDK.
func motoSubnets(t *testing.T, endpoint string) (subnets []string, vpc string) {
	t.Helper()
	form := url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"}}.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes by the credential scope's service; it checks no signature.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Subnets []struct {
			ID  string `xml:"subnetId"`
			VPC string `xml:"vpcId"`
		} `xml:"subnetSet>item"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Subnets) == 0 {
		t.Fatalf("moto DescribeSubnets: %v, %v", out.Subnets, err)
	}
	for _, sn := range out.Subnets {
		subnets = append(subnets, sn.ID)
	}
	return subnets, out.Subnets[0].VPC
}
