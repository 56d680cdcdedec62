package ecsdeploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const provisionHint = "is the environment provisioned (provision), and are its outputs current?"

// describeService returns the service, or a NotFoundError for a missing
// cluster or service.
func describeService(ctx context.Context, c Clients, svc Service) (*types.Service, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(svc.Cluster),
		Services: []string{svc.Name},
	})
	var nf *types.ClusterNotFoundException
	if errors.As(err, &nf) {
		return nil, &NotFoundError{What: "ECS cluster", Name: svc.Cluster, Hint: provisionHint}
	}
	if err != nil {
		return nil, fmt.Errorf("describing ECS service %s: %w", svc.Name, err)
	}
	for _, s := range out.Services {
		if aws.ToString(s.Status) == "ACTIVE" {
			return &s, nil
		}
	}
	return nil, &NotFoundError{What: "ECS service", Name: svc.Name, Hint: "no active service of that name in cluster " + svc.Cluster + "; " + provisionHint}
}

// describeTaskDefinition returns a task definition (family, family:revision or
// ARN; a family alone is its latest ACTIVE revision) with its tags.
func describeTaskDefinition(ctx context.Context, c Clients, name string) (*types.TaskDefinition, []types.Tag, error) {
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(name),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	var ce *types.ClientException
	if errors.As(err, &ce) {
		return nil, nil, &NotFoundError{What: "task definition", Name: name, Hint: "ECS says: " + ce.ErrorMessage() + "; " + provisionHint}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("describing task definition %s: %w", name, err)
	}
	return out.TaskDefinition, out.Tags, nil
}

// primary is the service's PRIMARY deployment, nil when it has none.
func primary(s *types.Service) *types.Deployment {
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Status) == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}

func deployments(s *types.Service) []Deployment {
	out := make([]Deployment, 0, len(s.Deployments))
	for _, d := range s.Deployments {
		out = append(out, Deployment{
			ID:                 aws.ToString(d.Id),
			Status:             aws.ToString(d.Status),
			RolloutState:       string(d.RolloutState),
			RolloutStateReason: aws.ToString(d.RolloutStateReason),
			TaskDefinition:     aws.ToString(d.TaskDefinition),
			Revision:           Revision(aws.ToString(d.TaskDefinition)),
			Desired:            d.DesiredCount,
			Pending:            d.PendingCount,
			Running:            d.RunningCount,
			Failed:             d.FailedTasks,
		})
	}
	return out
}
