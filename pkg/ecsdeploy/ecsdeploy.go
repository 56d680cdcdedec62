// Package ecsdeploy rolls a new image out to an ECS service and watches the
// rollout to its end: it registers a task definition revision, updates the
// service, follows this deployment (not whatever the service looks like) to a
// verdict, and rolls back on a timeout. DeployProgressive does the same with
// ECS's blue/green, canary and linear strategies, promoted only by a
// rollout.Gate's verdicts at two PAUSE hooks (the test, and the final bake
// that empctl runs itself) and during the production steps; the hooks'
// timeouts roll back if empctl dies. It never prints: progress goes to a
// callback, outcomes come back as a Result and typed errors.
package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Service names the ECS service a rollout acts on, as Terraform's outputs do.
type Service struct {
	Cluster        string // cluster name or ARN
	Name           string // service name
	Container      string // the container whose image a rollout replaces
	Family         string // the task definition family
	TargetGroupARN string // the load balancer's target group; empty: no target health
	// DesiredCount, when set, is the task count a deploy sets: Terraform sets
	// it only when it creates the service and then leaves it to the deploy.
	DesiredCount *int32
}

// ECSAPI is the part of *ecs.Client this package calls.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	ListTaskDefinitions(context.Context, *ecs.ListTaskDefinitionsInput, ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
	DescribeServiceDeployments(context.Context, *ecs.DescribeServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	StopServiceDeployment(context.Context, *ecs.StopServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
	ContinueServiceDeployment(context.Context, *ecs.ContinueServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	TagResource(context.Context, *ecs.TagResourceInput, ...func(*ecs.Options)) (*ecs.TagResourceOutput, error)
}

// ELBAPI is the part of *elasticloadbalancingv2.Client this package calls.
type ELBAPI interface {
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
	DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error)
}

// Clients are the AWS clients a rollout uses. ELB may be nil when the service
// has no target group; CW is needed by progressive rollouts only.
type Clients struct {
	ECS ECSAPI
	ELB ELBAPI
	CW  CloudWatchAPI
}

// ErrRolloutFailed is wrapped by every error that says the rollout ran but did
// not end on the new revision (rolled back, failed, timed out): a failed check,
// not a failed command.
var ErrRolloutFailed = errors.New("rollout failed")

// RolloutError is a rollout that did not end on the new revision; its Result
// says how it ended. errors.Is(err, ErrRolloutFailed) holds for it.
type RolloutError struct {
	Result Result
}

func (e *RolloutError) Error() string { return e.Result.Summary() }

// Is makes errors.Is(err, ErrRolloutFailed) true.
func (e *RolloutError) Is(target error) bool { return target == ErrRolloutFailed }

// NotFoundError is a cluster, service, task definition family or container
// that does not exist where the environment says it does.
type NotFoundError struct {
	What, Name, Hint string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q not found", e.What, e.Name)
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// detached is the error of a watch whose context ended: ECS goes on without us.
func detached(ctx context.Context, svc Service, deployment string) error {
	what := "the deployment"
	if deployment != "" {
		what += " " + deployment
	}
	return fmt.Errorf("stopped watching; %s of service %s continues in ECS (see it with status): %w", what, svc.Name, ctx.Err())
}

// Revision is the revision number at the end of a task definition ARN
// (…:task-definition/family:7), 0 when there is none.
func Revision(taskDefARN string) int {
	i := strings.LastIndexByte(taskDefARN, ':')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(taskDefARN[i+1:])
	if err != nil {
		return 0
	}
	return n
}

// shortTaskDef is family:revision for messages, from an ARN or a name.
func shortTaskDef(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
