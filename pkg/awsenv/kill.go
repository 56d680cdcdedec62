package awsenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// KillTarget stops one of the service's tasks with ECS StopTask: ECS sends
// SIGTERM, then SIGKILL after the container's stop timeout, and deregisters
// the task from the target group while a replacement starts. That is an
// unplanned stop, not a crash: the local stack's SIGKILL is the harsher test.
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
