package awsenv

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/empctl/empctl/pkg/ecsdeploy"
)

// Of a failed rollout, the last log lines of this many stopped tasks, this
// many lines each: what the local stack shows of a replica that failed.
const (
	logTasks = 2
	logLines = 15
)

// stoppedTaskLogs reads the last log lines of a failed rollout's stopped
// tasks from CloudWatch Logs (the awslogs driver's stream
// <prefix>/<container>/<task id>). They only help: any error leaves a line
// saying where to look instead.
func (e *Env) stoppedTaskLogs(ctx context.Context, c ecsdeploy.Clients, taskDefARN string, tasks []ecsdeploy.StoppedTask) []string {
	if len(tasks) == 0 || e.Outputs.LogGroupName == "" {
		return nil
	}
	prefix := e.streamPrefix(ctx, c, taskDefARN)
	if prefix == "" {
		return nil
	}
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return nil
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	var out []string
	for _, t := range tasks[:min(len(tasks), logTasks)] {
		stream := prefix + "/" + e.Outputs.ContainerName + "/" + t.ID
		res, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(e.Outputs.LogGroupName), LogStreamName: aws.String(stream),
			Limit: aws.Int32(logLines), StartFromHead: aws.Bool(false),
		})
		if err != nil {
			out = append(out, fmt.Sprintf("task %s: no log lines (%v); see log group %s, stream %s", t.ID, err, e.Outputs.LogGroupName, stream))
			continue
		}
		out = append(out, fmt.Sprintf("task %s, last log lines:", t.ID))
		for _, ev := range res.Events {
			out = append(out, "  "+strings.TrimRight(aws.ToString(ev.Message), "\n"))
		}
	}
	return out
}

// streamPrefix is the awslogs-stream-prefix of the server container.
func (e *Env) streamPrefix(ctx context.Context, c ecsdeploy.Clients, taskDefARN string) string {
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDefARN)})
	if err != nil || out.TaskDefinition == nil {
		return ""
	}
	for _, ct := range out.TaskDefinition.ContainerDefinitions {
		if aws.ToString(ct.Name) == e.Outputs.ContainerName && ct.LogConfiguration != nil {
			return ct.LogConfiguration.Options["awslogs-stream-prefix"]
		}
	}
	return ""
}
