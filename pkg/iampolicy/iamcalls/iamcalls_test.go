package iamcalls

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/testenv"
)

var tr = Translator{Partition: "aws", Account: "111122223333"}

func signed(service string, h http.Header) http.Header {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	return h
}

func target(service, op string) http.Header {
	return signed(service, http.Header{"X-Amz-Target": {"Prefix_20141113." + op}})
}

func prodPolicy(t *testing.T) iampolicy.Document { return policyWith(t, "") }

// policyWith is prodPolicy for an environment whose progressive-delivery
// role is lbRole ("" without the plumbing).
func policyWith(t *testing.T, lbRole string) iampolicy.Document {
	t.Helper()
	s, err := iampolicy.ScopeFromOutputs(config.Outputs{
		Region: "eu-west-1", ClusterName: "c", ServiceName: "s", TaskFamily: "f", ECRRepositoryURL: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/r",
		TargetGroupARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/t/1", WebappBucket: "b", CloudFrontDistributionID: "E1",
		LogGroupName: "/ecs/g", TaskRoleARN: "arn:aws:iam::111122223333:role/t", ExecutionRoleARN: "arn:aws:iam::111122223333:role/x",
		ECSLoadBalancersRoleARN: lbRole,
	})
	if err != nil {
		t.Fatal(err)
	}
	return iampolicy.Generate(s)
}

func strs(calls []Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Action+" "+c.Resource)
	}
	return out
}

func TestAWSRequests(t *testing.T) {
	const (
		ecs  = "arn:aws:ecs:eu-west-1:111122223333:"
		repo = "arn:aws:ecr:eu-west-1:111122223333:repository/"
	)
	for _, c := range []struct {
		name string
		req  testenv.ProxiedRequest
		want []string
	}{
		{"ECS service by name", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("ecs", "UpdateService"),
			Body: []byte(`{"cluster":"c","service":"s"}`)}, []string{"ecs:UpdateService " + ecs + "service/c/s"}},
		{"ECS services by ARN", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("ecs", "DescribeServices"),
			Body: []byte(`{"cluster":"` + ecs + `cluster/c","services":["` + ecs + `service/c/s"]}`)}, []string{"ecs:DescribeServices " + ecs + "service/c/s"}},
		{"ECS task by id", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("ecs", "StopTask"),
			Body: []byte(`{"cluster":"c","task":"abc"}`)}, []string{"ecs:StopTask " + ecs + "task/c/abc"}},
		{"register passes its roles and tags on create", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("ecs", "RegisterTaskDefinition"),
			Body: []byte(`{"family":"f","taskRoleArn":"arn:aws:iam::111122223333:role/t","executionRoleArn":"arn:aws:iam::111122223333:role/x","tags":[{"key":"env","value":"prod"}]}`)},
			[]string{"ecs:RegisterTaskDefinition " + ecs + "task-definition/f:<new revision>", "ecs:TagResource " + ecs + "task-definition/f:<new revision>",
				"iam:PassRole arn:aws:iam::111122223333:role/t", "iam:PassRole arn:aws:iam::111122223333:role/x"}},
		{"ECR repository", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("ecr", "DescribeRepositories"),
			Body: []byte(`{"repositoryNames":["r"]}`)}, []string{"ecr:DescribeRepositories " + repo + "r"}},
		{"ECR token", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("ecr", "GetAuthorizationToken"), Body: []byte(`{}`)},
			[]string{"ecr:GetAuthorizationToken *"}},
		{"secret by ARN", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("secretsmanager", "GetSecretValue"),
			Body: []byte(`{"SecretId":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:k-AbCdEf"}`)}, []string{"secretsmanager:GetSecretValue arn:aws:secretsmanager:eu-west-1:111122223333:secret:k-AbCdEf"}},
		{"log stream", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: target("logs", "GetLogEvents"),
			Body: []byte(`{"logGroupName":"/ecs/g","logStreamName":"api/api/1"}`)}, []string{"logs:GetLogEvents arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/g:log-stream:api/api/1"}},
		{"ELB query", testenv.ProxiedRequest{Method: "POST", Path: "/", Header: signed("elasticloadbalancing", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}),
			Body: []byte("Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn=arn%3Atg")}, []string{"elasticloadbalancing:DescribeTargetHealth arn:tg"}},
		{"S3 list", testenv.ProxiedRequest{Method: "GET", Path: "/b", Query: url.Values{"list-type": {"2"}}, Header: signed("s3", nil)}, []string{"s3:ListBucket arn:aws:s3:::b"}},
		{"S3 conditional write", testenv.ProxiedRequest{Method: "PUT", Path: "/b/.empctl/deploy.lock", Header: signed("s3", http.Header{"If-Match": {`"e"`}})},
			[]string{"s3:PutObject arn:aws:s3:::b/.empctl/deploy.lock", "s3:GetObject arn:aws:s3:::b/.empctl/deploy.lock"}},
		{"S3 multipart", testenv.ProxiedRequest{Method: "POST", Path: "/b/k", Query: url.Values{"uploads": {""}}, Header: signed("s3", nil)}, []string{"s3:PutObject arn:aws:s3:::b/k"}},
		{"S3 abort", testenv.ProxiedRequest{Method: "DELETE", Path: "/b/k", Query: url.Values{"uploadId": {"u"}}, Header: signed("s3", nil)}, []string{"s3:AbortMultipartUpload arn:aws:s3:::b/k"}},
		{"S3 DeleteObjects", testenv.ProxiedRequest{Method: "POST", Path: "/b", Query: url.Values{"delete": {""}}, Header: signed("s3", nil),
			Body: []byte(`<Delete><Object><Key>a.js</Key></Object><Object><Key>m/b.css</Key></Object></Delete>`)},
			[]string{"s3:DeleteObject arn:aws:s3:::b/a.js", "s3:DeleteObject arn:aws:s3:::b/m/b.css"}},
		{"CloudFront invalidation", testenv.ProxiedRequest{Method: "POST", Path: "/2020-05-31/distribution/E1/invalidation", Header: signed("cloudfront", nil)},
			[]string{"cloudfront:CreateInvalidation arn:aws:cloudfront::111122223333:distribution/E1"}},
		{"CloudFront invalidation status", testenv.ProxiedRequest{Method: "GET", Path: "/2020-05-31/distribution/E1/invalidation/I1", Header: signed("cloudfront", nil)},
			[]string{"cloudfront:GetInvalidation arn:aws:cloudfront::111122223333:distribution/E1"}},
	} {
		got, err := tr.AWS(c.req)
		if err != nil || !slices.Equal(strs(got), c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, strs(got), err, c.want)
		}
	}
}

// The calls progressive delivery will add: not in the policy, so the
// recording test fails until they are.
func TestNewCallsAreRefused(t *testing.T) {
	var calls []Call
	for _, req := range []testenv.ProxiedRequest{
		{Method: "POST", Path: "/", Header: target("ecs", "ContinueServiceDeployment"),
			Body: []byte(`{"serviceDeploymentArn":"arn:aws:ecs:eu-west-1:111122223333:service-deployment/c/s/x"}`)},
		{Method: "POST", Path: "/service/GraniteServiceVersion20100801/operation/GetMetricData", Header: signed("monitoring", nil)},
	} {
		c, err := tr.AWS(req)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c...)
	}
	if got := strs(Disallowed(prodPolicy(t), calls)); !slices.Equal(got, []string{
		"ecs:ContinueServiceDeployment arn:aws:ecs:eu-west-1:111122223333:service-deployment/c/s/x", "cloudwatch:GetMetricData *"}) {
		t.Fatalf("refused %v", got)
	}
	// With the progressive-delivery plumbing, the gate's calls are the policy's.
	if got := strs(Disallowed(policyWith(t, "arn:aws:iam::111122223333:role/lb"), calls)); len(got) != 0 {
		t.Fatalf("a progressive environment's policy refuses %v", got)
	}
}

func TestUnsignedOrUnknownRequestsAreErrors(t *testing.T) {
	for _, req := range []testenv.ProxiedRequest{
		{Method: "GET", Path: "/b", Header: http.Header{}},
		{Method: "PATCH", Path: "/b/k", Header: signed("s3", nil)},
		{Method: "GET", Path: "/2020-05-31/origin-access-control", Header: signed("cloudfront", nil)},
		{Method: "POST", Path: "/", Header: signed("sqs", nil)},
	} {
		if _, err := tr.AWS(req); err == nil {
			t.Errorf("%s %s (%s) translated; want an error", req.Method, req.Path, req.Header.Get("Authorization"))
		}
	}
}

func TestRegistryRequests(t *testing.T) {
	const repo = "arn:aws:ecr:eu-west-1:111122223333:repository/team/app"
	for _, c := range []struct {
		method, path, length string
		want                 []string
	}{
		{"GET", "/v2/", "", nil},
		{"HEAD", "/v2/team/app/blobs/sha256:1", "", []string{"ecr:BatchCheckLayerAvailability " + repo}},
		{"GET", "/v2/team/app/blobs/sha256:1", "", []string{"ecr:GetDownloadUrlForLayer " + repo}},
		{"POST", "/v2/team/app/blobs/uploads/", "", []string{"ecr:InitiateLayerUpload " + repo}},
		{"PATCH", "/v2/team/app/blobs/uploads/u1", "", []string{"ecr:UploadLayerPart " + repo}},
		{"PUT", "/v2/team/app/blobs/uploads/u1", "0", []string{"ecr:CompleteLayerUpload " + repo}},
		{"PUT", "/v2/team/app/blobs/uploads/u1", "12", []string{"ecr:CompleteLayerUpload " + repo, "ecr:UploadLayerPart " + repo}},
		{"HEAD", "/v2/team/app/manifests/v1", "", []string{"ecr:BatchGetImage " + repo}},
		{"PUT", "/v2/team/app/manifests/v1", "", []string{"ecr:PutImage " + repo}},
	} {
		h := http.Header{}
		if c.length != "" {
			h.Set("Content-Length", c.length)
		}
		got, err := tr.Registry(testenv.ProxiedRequest{Method: c.method, Path: c.path, Header: h}, "eu-west-1")
		if err != nil || !slices.Equal(strs(got), c.want) {
			t.Errorf("%s %s: %v, %v; want %v", c.method, c.path, strs(got), err, c.want)
		}
	}
	if _, err := tr.Registry(testenv.ProxiedRequest{Method: "GET", Path: "/v2/_catalog", Header: http.Header{}}, "eu-west-1"); err == nil || !strings.Contains(err.Error(), "_catalog") {
		t.Errorf("the catalog translated: %v", err)
	}
}
