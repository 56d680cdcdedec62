package awsenv

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/testenv"
)

// outputs are a complete set of saved outputs of an environment in region.
func outputs(region string) config.Outputs {
	return config.Outputs{Region: region, ClusterName: "c", ServiceName: "s", ContainerName: "api", TaskFamily: "f",
		ECRRepositoryURL: "1.dkr.ecr." + region + ".amazonaws.com/r", TargetGroupARN: "arn:tg", ALBDNSName: "alb", WebappBucket: "b",
		CloudFrontDistributionID: "E1", CloudFrontDomainName: "d.cloudfront.net", DBEndpoint: "db", DBSecretARN: "arn:s", LogGroupName: "lg", DesiredCount: "3"}
}

// preflightEnv is an environment in us-east-1 whose preflight STS attempts
// are counted.
func preflightEnv(t *testing.T) (*Env, *atomic.Int32) {
	t.Helper()
	e, err := New(t.TempDir(), config.Environment{Name: "prod", Region: "us-east-1"}, outputs("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	e.stsOptions = append(e.stsOptions, func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// After the retry middleware: once per attempt.
			return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("countAttempts", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				attempts.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
		})
	})
	return e, &attempts
}

// With -v the account, identity and region in use are printed, from moto's
// STS.
func TestPreflightNamesTheIdentity(t *testing.T) {
	endpoint := testenv.MotoEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", endpoint)
	e, attempts := preflightEnv(t)
	var verbose bytes.Buffer
	e.Verbose = &verbose
	if _, err := e.AWSConfig(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := verbose.String(); !strings.Contains(got, "AWS account 123456789012 as arn:aws:") || !strings.Contains(got, " in us-east-1") {
		t.Fatalf("verbose output %q, want the account, ARN and region", got)
	}
	if n := attempts.Load(); n != 1 {
		t.Fatalf("%d STS attempts, want 1", n)
	}
}

// No credentials anywhere: said at once with what to run, without calling
// AWS, and the instance metadata probe keeps the SDK's own few attempts
// instead of the service calls' ten.
func TestPreflightWithoutCredentials(t *testing.T) {
	testenv.MotoEnv(t)
	var mu sync.Mutex
	imdsRequests := map[string]int{}
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		imdsRequests[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		// No instance here: the connection drops, as a missing IMDS's would.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(imds.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	e, attempts := preflightEnv(t)
	_, err := e.AWSConfig(t.Context())
	for _, want := range []string{"no AWS credentials for env prod", "aws configure", "aws sso login --profile", "AWS_PROFILE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("without credentials: %v; want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "169.254") || strings.Contains(err.Error(), "ec2imds") {
		t.Errorf("the error repeats the SDK's chain of IMDS errors: %v", err)
	}
	if n := attempts.Load(); n != 0 {
		t.Errorf("%d STS attempts without credentials, want none", n)
	}
	// The SDK's IMDS client makes 3 attempts at the token, then 3 at the
	// role (the IMDSv1 fallback); with the service calls' retryer (10
	// attempts, backing off up to 20 s) it was still at the token when
	// the preflight gave up.
	mu.Lock()
	defer mu.Unlock()
	for path, n := range imdsRequests {
		if n > 3 {
			t.Errorf("%d attempts at the instance metadata service's %s, want the SDK's 3", n, path)
		}
	}
}

// An instance metadata service that refuses the IMDSv2 token (as on some
// hosts) made the SDK log "WARN falling back to IMDSv1" on stderr before the
// preflight's own error: nothing of the SDK's logging reaches the user.
func TestPreflightLogsNothingOfTheSDK(t *testing.T) {
	testenv.MotoEnv(t)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(imds.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	e, _ := preflightEnv(t)
	_, err = e.AWSConfig(t.Context())
	os.Stderr = stderr
	_ = w.Close()
	logged, _ := io.ReadAll(r)
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials for env prod") {
		t.Fatalf("without credentials: %v", err)
	}
	if len(logged) > 0 {
		t.Fatalf("the SDK logged on stderr:\n%s", logged)
	}
}

// A misspelt region is named before any call, with the closest one.
func TestPreflightMisspeltRegion(t *testing.T) {
	_, err := New(t.TempDir(), config.Environment{Name: "prod", Region: "eu-wset-1"}, outputs("eu-wset-1"))
	for _, want := range []string{"empctl.yaml: env prod: region:", `"eu-wset-1" is not an AWS region`, `did you mean "eu-west-1"?`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("misspelt region: %v; want it to say %q", err, want)
		}
	}
}

// A region in empctl.yaml other than the one the environment was provisioned
// in is an error, not a silent override.
func TestRegionDiffersFromProvisioned(t *testing.T) {
	_, err := New(t.TempDir(), config.Environment{Name: "prod", Region: "eu-west-1"}, outputs("us-east-1"))
	for _, want := range []string{"env prod is in eu-west-1 in empctl.yaml but was provisioned in us-east-1", "region: us-east-1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("region changed since provisioning: %v; want it to say %q", err, want)
		}
	}
}

// An endpoint that refuses connections is named after one attempt.
func TestPreflightUnreachable(t *testing.T) {
	testenv.MotoEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", closed)
	e, attempts := preflightEnv(t)
	_, err = e.AWSConfig(t.Context())
	for _, want := range []string{"cannot reach " + closed, "connection refused", "check the network connection"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("closed port: %v; want it to say %q", err, want)
		}
	}
	if n := attempts.Load(); n != 1 {
		t.Fatalf("%d STS attempts, want 1", n)
	}
}

// Credentials STS refuses as expired: said so, with how to renew them.
func TestPreflightExpiredCredentials(t *testing.T) {
	proxy := testenv.NewAWSProxy(t, testenv.MotoEnv(t))
	proxy.SetHook(func(*http.Request) (int, string) {
		return http.StatusForbidden, `<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>` +
			`<Message>The security token included in the request is expired</Message></Error><RequestId>x</RequestId></ErrorResponse>`
	})
	t.Setenv("AWS_ENDPOINT_URL_STS", proxy.URL)
	t.Setenv("AWS_PROFILE", "")
	e, attempts := preflightEnv(t)
	e.Config.Profile = ""
	_, err := e.AWSConfig(t.Context())
	for _, want := range []string{"the AWS credentials for env prod have expired", "aws sso login"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("expired token: %v; want it to say %q", err, want)
		}
	}
	if n := attempts.Load(); n != 1 {
		t.Fatalf("%d STS attempts, want 1", n)
	}
}

// A deploy learns that AWS cannot be used before it builds the image.
func TestBuildBackendChecksFirst(t *testing.T) {
	testenv.MotoEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	e, attempts := preflightEnv(t)
	// No sources here: a build would fail otherwise.
	_, err := e.BuildBackend(t.Context(), env.BuildOptions{}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("building without credentials: %v; want the credentials named first", err)
	}
	if n := attempts.Load(); n != 0 {
		t.Fatalf("%d STS attempts without credentials", n)
	}
}

// deploy frontend's check before its build: the preflight, then the
// CloudFront distribution the publish would invalidate.
func TestCheckFrontend(t *testing.T) {
	testenv.MotoEnv(t)
	e, _ := preflightEnv(t)
	if err := e.CheckFrontend(t.Context()); err == nil || !strings.Contains(err.Error(), "E1") {
		t.Fatalf("a distribution that does not exist: %v; want it named", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	e, _ = preflightEnv(t)
	if err := e.CheckFrontend(t.Context()); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("without credentials: %v; want the credentials named", err)
	}
}
