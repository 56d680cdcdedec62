// Package ecsfake is a scripted FAKE of the Amazon ECS API, for the rollout
// behaviour no emulator has: moto has no service deployments API, and its
// UpdateService starts no deployment. It serves ECS's awsJson1_1 protocol
// (X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>) on an httptest
// server, so the real SDK client and its real retryer talk to it, and answers
// with bytes the SDK's own serializer writes.
//
// It holds one service. Each UpdateService starts a deployment as ECS does
// (a new PRIMARY entry, the previous one ACTIVE, a new service deployment
// PENDING), then every DescribeServices first applies the next step of the
// script given for that update: tasks start, turn healthy, fail, the circuit
// breaker rolls back... The steps are modelled on the states and events AWS
// documents for rolling updates, the deployment circuit breaker and service
// deployments; where the documentation is silent (which status the service
// deployment of a first deployment with nothing to roll back to ends in), the
// choice is said at the step. An UpdateService with a BLUE_GREEN, CANARY or
// LINEAR deploymentConfiguration starts a deployment that runs through ECS's
// lifecycle stages by itself instead (progressive.go), on the fake's clock.
package ecsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/empctl/empctl/pkg/ecsdeploy/internal/wire"
)

// The fake's names.
const (
	Region  = "us-east-1"
	Account = "123456789012"
	Cluster = "empctl-prod"
	Service = "empctl-api"
	Family  = "empctl-api"
	prefix  = "arn:aws:ecs:" + Region + ":" + Account + ":"
)

// A Step changes the fake's state once; steps run in order, one per
// DescribeServices after the update they were scripted for.
type Step func(*Fake)

// Fake is the fake ECS endpoint. Its methods are safe for concurrent use.
type Fake struct {
	URL string

	mu          sync.Mutex
	withAPI     bool
	fieldOnly   bool   // currentServiceDeployment shown without the API
	noAPICode   string // how the service deployments operations are refused without the API
	noTagging   bool   // the caller may not ecs:TagResource
	svc         types.Service
	taskDefs    []types.TaskDefinition
	tdTags      map[string][]types.Tag // by task definition ARN
	sds         map[string]*types.ServiceDeployment
	tasks       []types.Task
	scripts     map[int][]Step // by the ordinal of the UpdateService they follow
	stopScript  []Step
	pending     []Step
	updates     int
	throttle    map[string]int
	missing     int // DescribeServiceDeployments calls still to answer MISSING
	calls       map[string]int
	seq         int
	current     string // our record of the service deployment, even without the API
	depCreated  map[string]time.Time
	stopRequest string
	replacing   []string // tasks started for stopped ones, healthy at the next look

	offset    time.Duration // the fake's clock is time.Now()+offset
	tick      time.Duration // added to offset by every DescribeServices
	prog      *progressive  // the progressive deployment in flight
	traffic   Traffic
	liveTG    string // the target group serving production after the last progressive deployment
	continues []Continue
	baked     time.Duration // how long ECS's own BAKE_TIME lasted in the last deployment

	beforeUpdate types.Service // the service as the last UpdateService found it
	lagging      bool          // answer this DescribeServices with beforeUpdate
}

// New starts a fake ECS endpoint for the test. withAPI says whether it has
// the service deployments API (currentServiceDeployment, DescribeServiceDeployments,
// ListServiceDeployments, StopServiceDeployment); without it, it answers those
// as an endpoint that does not know them and judges by deployments[] only.
func New(t testing.TB, withAPI bool) *Fake {
	f := &Fake{withAPI: withAPI, noAPICode: "UnknownOperationException", sds: map[string]*types.ServiceDeployment{}, scripts: map[int][]Step{}, tdTags: map[string][]types.Tag{},
		throttle: map[string]int{}, calls: map[string]int{}, depCreated: map[string]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Client is a real ECS client for the fake: static credentials, the SDK's
// standard retryer with short backoffs so a test does not sleep for seconds.
func (f *Fake) Client() *ecs.Client {
	return ecs.New(ecs.Options{
		BaseEndpoint: aws.String(f.URL),
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("fake", "fake", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		}),
	})
}

// TaskDefinitionARN is the ARN of family:revision.
func TaskDefinitionARN(revision int) string {
	return fmt.Sprintf("%stask-definition/%s:%d", prefix, Family, revision)
}

// AddTaskDefinition registers revision with the container "api" on image;
// version, when set, is the label a deploy puts on it.
func (f *Fake) AddTaskDefinition(revision int, image, version string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	labels := map[string]string{}
	if version != "" {
		labels["org.opencontainers.image.version"] = version
	}
	arn := TaskDefinitionARN(revision)
	f.taskDefs = append(f.taskDefs, types.TaskDefinition{
		TaskDefinitionArn: aws.String(arn), Family: aws.String(Family), Revision: int32(revision),
		Status:               types.TaskDefinitionStatusActive,
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("api"), Image: aws.String(image), DockerLabels: labels}},
	})
	return arn
}

// CurrentServiceDeploymentWithoutAPI makes a fake without the service
// deployments API show the service's currentServiceDeployment all the same:
// an endpoint whose service responses and operations are not of one release.
// A watch then learns that the API is missing only when it calls it.
func (f *Fake) CurrentServiceDeploymentWithoutAPI() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fieldOnly = true
}

// UnsupportedFeature makes a fake without the service deployments API refuse
// its operations with UnsupportedFeatureException (ECS's answer where a
// feature is not offered: "The specified task isn't supported in this
// Region"; ListServiceDeployments lists it among its errors in the ECS API
// reference) instead of UnknownOperationException; its services show
// currentServiceDeployment.
func (f *Fake) UnsupportedFeature() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fieldOnly, f.noAPICode = true, "UnsupportedFeatureException"
}

// WithoutTagResource makes the caller an identity without ecs:TagResource.
// ECS authorizes the tags of a tag-on-create action (RegisterTaskDefinition
// among them) as ecs:TagResource: a register with tags is refused
// AccessDeniedException, one without is not ("Grant permission to tag
// resources on creation", ECS developer guide). TagResource itself is refused
// too.
func (f *Fake) WithoutTagResource() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noTagging = true
}

// Caller is the identity the fake's AccessDeniedException messages name.
const Caller = "arn:aws:sts::" + Account + ":assumed-role/empctl-deployer/ci"

// deniedTagging is IAM's refusal of ecs:TagResource on arn, as ECS words it.
func deniedTagging(arn string) error {
	return apiError("AccessDeniedException", "User: %s is not authorized to perform: ecs:TagResource on resource: %s because no identity-based policy allows the ecs:TagResource action", Caller, arn)
}

// Deregister makes a revision INACTIVE, as DeregisterTaskDefinition does.
func (f *Fake) Deregister(revision int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if td := f.taskDef(TaskDefinitionARN(revision)); td != nil {
		td.Status = types.TaskDefinitionStatusInactive
	}
}

// Age moves everything the fake did so far d into the past: the service's
// creation, its deployments, its service deployments.
func (f *Fake) Age(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	back := func(ts ...**time.Time) {
		for _, t := range ts {
			if *t != nil {
				*t = aws.Time((*t).Add(-d))
			}
		}
	}
	back(&f.svc.CreatedAt)
	for i := range f.svc.Deployments {
		back(&f.svc.Deployments[i].CreatedAt, &f.svc.Deployments[i].UpdatedAt)
	}
	for _, sd := range f.sds {
		back(&sd.CreatedAt, &sd.StartedAt, &sd.UpdatedAt, &sd.FinishedAt)
	}
}

// historyStart is where ListServiceDeployments' history begins: "the most
// recent 90-day history for deployments created on or after October 25,
// 2024" ("Viewing Amazon ECS service deployments", ECS developer guide).
func historyStart() time.Time {
	if t := time.Now().AddDate(0, 0, -90); t.After(historyBegins) {
		return t
	}
	return historyBegins
}

var historyBegins = time.Date(2024, 10, 25, 0, 0, 0, 0, time.UTC)

// Tags are the tags of a task definition revision.
func (f *Fake) Tags(taskDefARN string) []types.Tag {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]types.Tag(nil), f.tdTags[taskDefARN]...)
}

// Throttle makes the next n calls of op answer ThrottlingException, as ECS
// does when an account's request rate is over its limit.
func (f *Fake) Throttle(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle[op] = n
}

// MissingServiceDeployments makes the next n DescribeServiceDeployments
// answer every ARN with a failure of reason MISSING, as ECS's eventually
// consistent reads may for a service deployment just created.
func (f *Fake) MissingServiceDeployments(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.missing = n
}

// Calls is how many requests for op arrived (throttled ones too).
func (f *Fake) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Script sets the steps that follow the n-th UpdateService (from 1).
func (f *Fake) Script(n int, steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[n] = steps
}

// OnStop sets the steps that follow a StopServiceDeployment; the first runs
// at once, in the stop request.
func (f *Fake) OnStop(steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopScript = steps
}

// StopRequested is the stop type of the StopServiceDeployment received, "" if none.
func (f *Fake) StopRequested() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stopRequest
}

// Snapshot is the service as DescribeServices would return it now: a copy,
// which the fake's later changes leave alone.
func (f *Fake) Snapshot() types.Service {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.svc
	s.Deployments, s.Events = slices.Clone(s.Deployments), slices.Clone(s.Events)
	return s
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.")
	body, err := io.ReadAll(r.Body)
	if !ok || err != nil || r.Method != http.MethodPost {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "not an ECS request")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.throttle[op] > 0 {
		f.throttle[op]--
		writeError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	f.expireHooks()
	out, err := f.handle(op, body)
	if err != nil {
		var ae *smithy.GenericAPIError
		if e, ok := err.(*smithy.GenericAPIError); ok {
			ae = e
		} else {
			ae = &smithy.GenericAPIError{Code: "ServerException", Message: err.Error()}
		}
		writeError(w, http.StatusBadRequest, ae.Code, ae.Message)
		return
	}
	raw, err := wire.JSON(out)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "ServerException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(raw)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func apiError(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...)}
}
