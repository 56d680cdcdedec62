package iampolicy

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/empctl/empctl/pkg/config"
)

// Scope is what the policy is scoped to: the environment's resources.
type Scope struct {
	Partition, Region, Account    string
	Cluster, Service, TaskFamily  string
	Repository                    string // the ECR repository's name
	Bucket                        string
	DistributionID                string
	LogGroup                      string
	TaskRoleARN, ExecutionRoleARN string
	// LoadBalancersRoleARN is the ECS infrastructure role a progressive
	// deploy passes (advancedConfiguration.roleArn); empty when the
	// environment was provisioned without progressive_delivery, and then
	// the policy has no progressive-delivery statements.
	LoadBalancersRoleARN string
	// OperatorKeySecretARN is the operator key's secret; empty for an
	// environment provisioned before it existed (no statement then).
	OperatorKeySecretARN string
}

// ScopeFromOutputs reads the scope from an environment's saved Terraform
// outputs. The partition and account come from the target group's ARN (the
// repository URL of an emulator names no account). Outputs it needs and
// lacks are an error naming them by their output names.
func ScopeFromOutputs(o config.Outputs) (Scope, error) {
	need := []struct{ name, value string }{
		{"region", o.Region}, {"cluster_name", o.ClusterName}, {"service_name", o.ServiceName},
		{"task_family", o.TaskFamily}, {"ecr_repository_url", o.ECRRepositoryURL}, {"target_group_arn", o.TargetGroupARN},
		{"webapp_bucket", o.WebappBucket}, {"cloudfront_distribution_id", o.CloudFrontDistributionID},
		{"log_group_name", o.LogGroupName}, {"task_role_arn", o.TaskRoleARN}, {"execution_role_arn", o.ExecutionRoleARN},
	}
	var missing []string
	for _, n := range need {
		if n.value == "" {
			missing = append(missing, n.name)
		}
	}
	if len(missing) > 0 {
		return Scope{}, &MissingOutputsError{Names: missing}
	}
	tg, err := arn.Parse(o.TargetGroupARN)
	if err != nil || tg.AccountID == "" {
		return Scope{}, fmt.Errorf("the output target_group_arn %q is not an ARN with an account", o.TargetGroupARN)
	}
	_, repo, ok := strings.Cut(o.ECRRepositoryURL, "/")
	if !ok || repo == "" {
		return Scope{}, fmt.Errorf("the output ecr_repository_url %q names no repository (want <registry>/<repository>)", o.ECRRepositoryURL)
	}
	return Scope{
		Partition: tg.Partition, Region: o.Region, Account: tg.AccountID,
		Cluster: o.ClusterName, Service: o.ServiceName, TaskFamily: o.TaskFamily, Repository: repo,
		Bucket: o.WebappBucket, DistributionID: o.CloudFrontDistributionID, LogGroup: o.LogGroupName,
		TaskRoleARN: o.TaskRoleARN, ExecutionRoleARN: o.ExecutionRoleARN, LoadBalancersRoleARN: o.ECSLoadBalancersRoleARN,
		OperatorKeySecretARN: o.OperatorKeySecretARN,
	}, nil
}

// MissingOutputsError lists the Terraform outputs the policy needs and the
// saved outputs lack.
type MissingOutputsError struct{ Names []string }

func (e *MissingOutputsError) Error() string {
	return "the saved outputs lack " + strings.Join(e.Names, ", ")
}

// arn builds an ARN of service in the scope's partition, region and account.
func (s Scope) arn(service, resource string) string {
	return arn.ARN{Partition: s.Partition, Service: service, Region: s.Region, AccountID: s.Account, Resource: resource}.String()
}
