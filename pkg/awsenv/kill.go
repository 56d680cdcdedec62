package awsenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// KillTarget stops one of the service's tasks at once, as a crash would; ECS
// starts a replacement and the load balancer stops routing to it.
func (e *Env) KillTarget(ctx context.Context, id string) error {
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return err
	}
	_, err = ecs.NewFromConfig(cfg).StopTask(ctx, &ecs.StopTaskInput{
		Cluster: aws.String(e.Outputs.ClusterName),
		Task:    aws.String(id),
		Reason:  aws.String("stopped by empctl verify-zero-downtime --kill"),
	})
	if err != nil {
		return fmt.Errorf("stopping task %s in cluster %s: %w%s", id, e.Outputs.ClusterName, err, accessHint(err, "ecs:StopTask"))
	}
	return nil
}
