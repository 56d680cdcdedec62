package ecsdeploy

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// apiVerdict judges by the service deployment's status. The service alone
// cannot tell a success from a rollback (both end as one deployment with
// running = desired); the status can, and a SUCCESSFUL status with the service
// on another task definition is not believed either.
func apiVerdict(sd *types.ServiceDeployment, s *types.Service, target string) (verdict, bool) {
	v := verdict{deployment: aws.ToString(sd.ServiceDeploymentArn), arn: aws.ToString(sd.ServiceDeploymentArn), serving: aws.ToString(s.TaskDefinition)}
	reasons := []string{aws.ToString(sd.StatusReason)}
	if sd.Rollback != nil {
		reasons = append(reasons, aws.ToString(sd.Rollback.Reason))
	}
	v.reason = joinReasons(reasons...)
	switch sd.Status {
	case types.ServiceDeploymentStatusSuccessful:
		if v.serving == target {
			v.outcome = Completed
			return v, true
		}
		v.outcome = RolledBack
		v.reason = joinReasons(v.reason, "the deployment says SUCCESSFUL but the service runs "+shortTaskDef(v.serving))
	case types.ServiceDeploymentStatusRollbackSuccessful:
		v.outcome = RolledBack
	case types.ServiceDeploymentStatusRollbackFailed:
		v.outcome = Failed
		v.reason = joinReasons("the rollback failed too", v.reason)
	case types.ServiceDeploymentStatusStopped:
		v.outcome = Failed
		v.reason = joinReasons("the deployment was stopped", v.reason)
	default:
		return v, false
	}
	return v, true
}

// fallbackVerdict judges by the service's deployments when ECS has no service
// deployments API: this deployment (id) succeeded when it is the only one left,
// PRIMARY and COMPLETED; when another deployment became PRIMARY on another task
// definition, the circuit breaker (or someone) rolled back, which is over when
// that one is the only one left and COMPLETED.
func fallbackVerdict(s *types.Service, id, target, ourReason string) (verdict, bool) {
	p := primary(s)
	if p == nil {
		return verdict{}, false
	}
	v := verdict{deployment: id, serving: aws.ToString(p.TaskDefinition), reason: ourReason}
	if aws.ToString(p.Id) == id {
		switch {
		case p.RolloutState == types.DeploymentRolloutStateCompleted && len(s.Deployments) == 1:
			v.outcome = Completed
			return v, true
		case p.RolloutState == types.DeploymentRolloutStateFailed:
			v.outcome = Failed
			v.reason = joinReasons(aws.ToString(p.RolloutStateReason), ourReason)
			return v, true
		}
		return v, false
	}
	if v.serving != target {
		// Rolled back: done when the rollback's deployment is, failed if it did.
		switch {
		case p.RolloutState == types.DeploymentRolloutStateCompleted && len(s.Deployments) == 1:
			v.outcome = RolledBack
			return v, true
		case p.RolloutState == types.DeploymentRolloutStateFailed:
			v.outcome = Failed
			v.reason = joinReasons("the rollback to "+shortTaskDef(v.serving)+" failed too", aws.ToString(p.RolloutStateReason), ourReason)
			return v, true
		}
		return v, false
	}
	v.outcome = Failed
	v.reason = joinReasons("deployment "+aws.ToString(p.Id)+" of the same task definition replaced it", ourReason)
	return v, true
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
