// Package awsenvtest provisions, in a moto server, the resources that
// terraform/ creates for an environment (ECR repository, ECS cluster, task
// definition family and service, target group, webapp bucket, CloudFront
// distribution) and writes the project files empctl reads for it
// (empctl.yaml and .empctl/<env>/outputs.json), so that commands run against
// the emulator exactly as they would against an account.
package awsenvtest

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/operatorkey"
	"github.com/empctl/empctl/pkg/testenv"
)

// EnvName is the environment the fixture writes into empctl.yaml.
const EnvName = "test"

// Options change the fixture.
type Options struct {
}

// Fixture is a provisioned emulated environment.
type Fixture struct {
	Endpoint string
	Dir      string
	Outputs  config.Outputs
	Config   aws.Config
	// TaskDefinitionARN is the revision the service was created with (the
	// placeholder image, as Terraform leaves it).
	TaskDefinitionARN string
}

// Provision starts a moto server (pointing this process's AWS SDK at it
// through the environment), creates the resources and writes the project
// files into a new directory.
func Provision(t testing.TB, opts Options) *Fixture {
	t.Helper()
	endpoint := testenv.MotoEnv(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("AWS config for moto: %v", err)
	}
	f := &Fixture{Endpoint: endpoint, Dir: t.TempDir(), Config: cfg}
	o := config.Outputs{
		Region: cfg.Region, ClusterName: "empctl-test", ServiceName: "empctl-test-api", ContainerName: "api",
		TaskFamily: "empctl-test-api", WebappBucket: "empctl-test-webapp", LogGroupName: "/ecs/empctl-test",
		ALBDNSName: "internal-empctl-test-123.us-east-1.elb.amazonaws.com", DBEndpoint: "empctl-test.abc.us-east-1.rds.amazonaws.com:3306",
		DBSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-test", DesiredCount: "3",
		TaskRoleARN: "arn:aws:iam::123456789012:role/empctl-test-task", ExecutionRoleARN: "arn:aws:iam::123456789012:role/empctl-test-execution",
	}

	repo, err := ecr.NewFromConfig(cfg).CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName: aws.String("empctl-test"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable,
	})
	must(t, "ECR CreateRepository", err)
	o.ECRRepositoryURL = aws.ToString(repo.Repository.RepositoryUri)

	lb := elb.NewFromConfig(cfg)
	tg, err := lb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("empctl-test-api"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(defaultVPC(t, endpoint)), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/readyz"),
	})
	must(t, "ELBv2 CreateTargetGroup", err)
	o.TargetGroupARN = aws.ToString(tg.TargetGroups[0].TargetGroupArn)

	c := ecs.NewFromConfig(cfg)
	_, err = c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(o.ClusterName)})
	must(t, "ECS CreateCluster", err)
	td, err := c.RegisterTaskDefinition(ctx, TaskDefinitionInput(o, o.ECRRepositoryURL+":initial"))
	must(t, "ECS RegisterTaskDefinition", err)
	f.TaskDefinitionARN = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(o.ClusterName), ServiceName: aws.String(o.ServiceName), TaskDefinition: td.TaskDefinition.TaskDefinitionArn,
		DesiredCount: aws.Int32(3), LaunchType: ecstypes.LaunchTypeFargate,
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(o.TargetGroupARN), ContainerName: aws.String(o.ContainerName), ContainerPort: aws.Int32(8080)}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(200),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
	})
	must(t, "ECS CreateService", err)

	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(o.WebappBucket)})
	must(t, "S3 CreateBucket", err)
	dist, err := cloudfront.NewFromConfig(cfg).CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(fmt.Sprint(time.Now().UnixNano())), Comment: aws.String("empctl test"), Enabled: aws.Bool(true),
		DefaultRootObject: aws.String("index.html"),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
			Id: aws.String("webapp"), DomainName: aws.String(o.WebappBucket + ".s3.us-east-1.amazonaws.com"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
		}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("webapp"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")},
	}})
	must(t, "CloudFront CreateDistribution", err)
	o.CloudFrontDistributionID = aws.ToString(dist.Distribution.Id)
	o.CloudFrontDomainName = aws.ToString(dist.Distribution.DomainName)

	// The operator key's secret, as Terraform makes it (no value) and
	// provision seeds it.
	secret, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empctl-test-operator-key")})
	must(t, "Secrets Manager CreateSecret", err)
	o.OperatorKeySecretARN = aws.ToString(secret.ARN)
	_, err = operatorkey.Seed(ctx, cfg, o.OperatorKeySecretARN)
	must(t, "seeding the operator key", err)

	yaml := fmt.Sprintf("environments:\n  %s:\n    region: %s\n", EnvName, cfg.Region)
	if err := os.WriteFile(filepath.Join(f.Dir, config.FileName), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if f.Outputs, err = config.SaveOutputs(f.Dir, EnvName, o); err != nil {
		t.Fatal(err)
	}
	return f
}

// UseRegistry points the environment's ecr_repository_url at a registry on
// loopback (moto has no registry API) and saves the outputs again.
func (f *Fixture) UseRegistry(t testing.TB, host string) {
	t.Helper()
	o := f.Outputs
	o.ECRRepositoryURL = host + "/empctl-test"
	var err error
	if f.Outputs, err = config.SaveOutputs(f.Dir, EnvName, o); err != nil {
		t.Fatal(err)
	}
}

// ECRPassword is the password of the ECR login token the emulator hands out.
func (f *Fixture) ECRPassword(t testing.TB) string {
	t.Helper()
	out, err := ecr.NewFromConfig(f.Config).GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	must(t, "ECR GetAuthorizationToken", err)
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	must(t, "decoding the ECR token", err)
	_, pw, _ := strings.Cut(string(raw), ":")
	return pw
}

// TaskDefinitionInput is the task definition terraform/ registers (ecs.tf),
// with every kind of field a new revision must keep.
func TaskDefinitionInput(o config.Outputs, image string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(o.TaskFamily), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("512"), Memory: aws.String("1024"),
		ExecutionRoleArn: aws.String(o.ExecutionRoleARN),
		TaskRoleArn:      aws.String(o.TaskRoleARN),
		RuntimePlatform:  &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureArm64, OperatingSystemFamily: ecstypes.OSFamilyLinux},
		Tags:             []ecstypes.Tag{{Key: aws.String("app"), Value: aws.String("empctl")}, {Key: aws.String("env"), Value: aws.String(EnvName)}},
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String(o.ContainerName), Image: aws.String(image), Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: ecstypes.TransportProtocolTcp}},
			Environment:  []ecstypes.KeyValuePair{{Name: aws.String("DB_HOST"), Value: aws.String(o.DBEndpoint)}, {Name: aws.String("DB_SECRET_ARN"), Value: aws.String(o.DBSecretARN)}},
			Secrets:      []ecstypes.Secret{{Name: aws.String("DB_SECRET"), ValueFrom: aws.String(o.DBSecretARN)}},
			StopTimeout:  aws.Int32(45),
			HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD", "/server", "healthcheck"}, Interval: aws.Int32(10),
				Timeout: aws.Int32(5), Retries: aws.Int32(3), StartPeriod: aws.Int32(20)},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": o.LogGroupName, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api"}},
			ReadonlyRootFilesystem: aws.Bool(true),
			User:                   aws.String("65532:65532"),
		}},
	}
}

// defaultVPC returns the id of moto's default VPC through the EC2 query API
// (the SDK's EC2 client is large, and this is all the fixture needs of it).
func defaultVPC(t testing.TB, endpoint string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader("Action=DescribeVpcs&Version=2016-11-15"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto picks the service from the credential scope.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	must(t, "EC2 DescribeVpcs", err)
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		VPCs []struct {
			ID        string `xml:"vpcId"`
			IsDefault bool   `xml:"isDefault"`
		} `xml:"vpcSet>item"`
	}
	must(t, "EC2 DescribeVpcs", xml.NewDecoder(resp.Body).Decode(&out))
	for _, v := range out.VPCs {
		if v.IsDefault {
			return v.ID
		}
	}
	t.Fatalf("moto has no default VPC (%d VPCs)", len(out.VPCs))
	return ""
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setting up the emulated environment: %s: %v", what, err)
	}
}
