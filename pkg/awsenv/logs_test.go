package awsenv

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/ecsdeploy"
)

// A failed rollout shows its stopped tasks' last log lines, as the local
// stack shows a failed replica's, from the awslogs driver's streams.
func TestStoppedTaskLogs(t *testing.T) {
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	ctx := t.Context()
	logs := cloudwatchlogs.NewFromConfig(f.Config)
	group, stream := f.Outputs.LogGroupName, "api/"+f.Outputs.ContainerName+"/0123abcd"
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []types.InputLogEvent{
			{Timestamp: aws.Int64(now), Message: aws.String(`{"level":"INFO","msg":"starting"}`)},
			{Timestamp: aws.Int64(now + 1), Message: aws.String(`{"level":"ERROR","msg":"opening the database: access denied"}`)},
		}}); err != nil {
		t.Fatal(err)
	}
	e, err := New(f.Dir, config.Environment{Name: awsenvtest.EnvName, Region: f.Config.Region}, f.Outputs)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.ecsClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(e.stoppedTaskLogs(ctx, c, f.TaskDefinitionARN, []ecsdeploy.StoppedTask{{ID: "0123abcd"}, {ID: "gone"}}), "\n")
	for _, want := range []string{"task 0123abcd, last log lines:", "opening the database: access denied",
		"task gone: no log lines", "stream api/" + f.Outputs.ContainerName + "/gone"} {
		if !strings.Contains(got, want) {
			t.Errorf("logs lack %q:\n%s", want, got)
		}
	}
}
