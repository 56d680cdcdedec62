package logs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/env/resolve"
)

var now = time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)

func newCmd(f *cmdutil.Factory) *cobra.Command {
	return NewCmdLogs(f, func(o *Options) error {
		o.Now = func() time.Time { return now }
		return Run(context.Background(), o)
	})
}

var lines = []env.LogLine{
	{Time: now.Add(-time.Minute), Target: "local-a1b2c3", Message: `{"msg":"listening"}`},
	{Time: now.Add(-time.Second), Target: "local-d4e5f6", Message: `{"msg":"request"}`},
}

func TestLogs(t *testing.T) {
	fake := &envtest.Fake{LogLines: lines}
	r := cmdtest.Run(t, newCmd, fake, "--target", "local-a1b2c3")
	if r.Code != 0 || r.Out != "local-a1b2c3 | {\"msg\":\"listening\"}\nlocal-d4e5f6 | {\"msg\":\"request\"}\n" {
		t.Fatalf("exit %d, out:\n%s%s", r.Code, r.Out, r.ErrOut)
	}
	arg, _ := fake.Called("Logs")
	if o := arg.(env.LogOptions); !o.Since.Equal(now.Add(-10*time.Minute)) || o.Target != "local-a1b2c3" || o.Follow {
		t.Fatalf("options %+v, want the last 10 minutes of local-a1b2c3", o)
	}

	r = cmdtest.Run(t, newCmd, fake, "-o", "json", "--since", "0")
	var got []env.LogLine
	for _, l := range strings.Split(strings.TrimSpace(r.Out), "\n") {
		var ll env.LogLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		got = append(got, ll)
	}
	if len(got) != 2 || got[1].Target != "local-d4e5f6" || !got[1].Time.Equal(lines[1].Time) {
		t.Fatalf("JSON lines %+v", got)
	}
	if arg, _ := fake.Called("Logs"); !arg.(env.LogOptions).Since.IsZero() {
		t.Fatalf("--since 0: %+v, want everything", arg)
	}

	r = cmdtest.Run(t, newCmd, fake, "--since", "2026-12-06T20:30:00Z")
	if arg, _ := fake.Called("Logs"); r.Code != 0 || !arg.(env.LogOptions).Since.Equal(now.Add(-30*time.Minute)) {
		t.Fatalf("--since a time: exit %d, %+v", r.Code, arg)
	}
	r = cmdtest.Run(t, newCmd, fake, "--since", "yesterday")
	if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), "neither a duration") {
		t.Fatalf("--since yesterday: exit %d, %v", r.Code, r.Err)
	}
}

// Nothing logged lately is said, with how to see older lines; --target
// completes from the environment's targets.
func TestNoLinesAndCompletion(t *testing.T) {
	r := cmdtest.Run(t, newCmd, &envtest.Fake{})
	if r.Code != 0 || r.Out != "" || !strings.Contains(r.ErrOut, "No log lines since") || !strings.Contains(r.ErrOut, "--since 0") {
		t.Fatalf("no lines: exit %d, out %q, err %q", r.Code, r.Out, r.ErrOut)
	}
	fake := &envtest.Fake{State: env.Status{Targets: []env.Target{{ID: "local-a1b2c3"}, {ID: "local-d4e5f6"}}}}
	r = cmdtest.Run(t, newCmd, fake, "__complete", "--target", "")
	if !strings.Contains(r.Out, "local-a1b2c3\nlocal-d4e5f6\n") {
		t.Fatalf("--target completion:\n%s", r.Out)
	}
}

// Ctrl-C is how --follow ends: exit 0, every line printed.
func TestFollowEndsWithCtrlC(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	fake := &envtest.Fake{LogLines: lines}
	r := cmdtest.RunContext(ctx, t, func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdLogs(f, nil)
	}, fake, "--follow")
	if r.Code != 0 || strings.Count(r.Out, "\n") != 2 {
		t.Fatalf("follow ended by Ctrl-C: exit %d (%v), out:\n%s", r.Code, r.Err, r.Out)
	}
	if arg, _ := fake.Called("Logs"); !arg.(env.LogOptions).Follow {
		t.Fatalf("options %+v, want Follow", arg)
	}
}

// On AWS the lines are the service's CloudWatch Logs events, read back from
// moto after PutLogEvents, merged across the tasks' streams in time order.
func TestLogsFromCloudWatch(t *testing.T) {
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	ctx := t.Context()
	cw := cloudwatchlogs.NewFromConfig(f.Config)
	group := f.Outputs.LogGroupName
	if _, err := cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	put := func(task string, at time.Time, msg string) {
		t.Helper()
		stream := "api/" + f.Outputs.ContainerName + "/" + task
		_, _ = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
		if _, err := cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(msg)}}}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(-5 * time.Minute)
	put("task1", start, "old line")
	put("task2", start.Add(time.Second), "second")
	put("task1", start.Add(2*time.Second), "third")
	put("task2", start.Add(-time.Hour), "an hour before")

	e, err := resolve.Environment(awsenvtest.EnvName, f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	r := cmdtest.Run(t, func(f *cmdutil.Factory) *cobra.Command { return NewCmdLogs(f, nil) }, e)
	if want := "task1 | old line\ntask2 | second\ntask1 | third\n"; r.Code != 0 || r.Out != want {
		t.Fatalf("exit %d (%v), out:\n%s\nwant:\n%s", r.Code, r.Err, r.Out, want)
	}
	r = cmdtest.Run(t, func(f *cmdutil.Factory) *cobra.Command { return NewCmdLogs(f, nil) }, e, "--since", "0", "--target", "task2", "-o", "json")
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(r.Out), "\n") {
		var ll env.LogLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		got = append(got, ll.Target+" "+ll.Message)
	}
	if strings.Join(got, ",") != "task2 an hour before,task2 second" {
		t.Fatalf("task2's lines: %q (exit %d, %v)", got, r.Code, r.Err)
	}
}

// --follow on AWS polls the log group from the newest event on: an event
// put while following is printed once, and cancelling ends it.
func TestFollowCloudWatch(t *testing.T) {
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	ctx := t.Context()
	cw := cloudwatchlogs.NewFromConfig(f.Config)
	group, stream := f.Outputs.LogGroupName, "api/"+f.Outputs.ContainerName+"/task1"
	if _, err := cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	put := func(msg string) {
		t.Helper()
		if _, err := cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(time.Now().UnixMilli()), Message: aws.String(msg)}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("before")
	e, err := resolve.Environment(awsenvtest.EnvName, f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan env.LogLine, 16)
	done := make(chan error, 1)
	go func() {
		done <- e.Logs(fctx, env.LogOptions{Follow: true, PollInterval: 50 * time.Millisecond}, func(l env.LogLine) { got <- l })
	}()
	next := func() env.LogLine {
		t.Helper()
		select {
		case l := <-got:
			return l
		case err := <-done:
			t.Fatalf("follow ended: %v", err)
		case <-time.After(time.Minute):
			t.Fatal("no line within a minute")
		}
		return env.LogLine{}
	}
	if l := next(); l.Message != "before" || l.Target != "task1" {
		t.Fatalf("first line %+v", l)
	}
	put("while following")
	if l := next(); l.Message != "while following" {
		t.Fatalf("second line %+v, want the one put while following", l)
	}
	put("third")
	if l := next(); l.Message != "third" {
		t.Fatalf("third line %+v, want the next one put, each line once", l)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("follow ended with %v", err)
	}
	close(got)
	for l := range got {
		t.Errorf("a line after cancelling: %+v", l)
	}
}
