package awsenv

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/empctl/empctl/pkg/env"
)

// logPollInterval is how often `logs --follow` asks CloudWatch Logs for new
// events: FilterLogEvents is allowed 5 requests a second per account.
const logPollInterval = 2 * time.Second

// Logs reads the service's log group with FilterLogEvents, from opts.Since,
// and with opts.Follow polls it from the newest event on (what `aws logs tail
// --follow` does; StartLiveTail is a streaming API that no emulator has).
// The awslogs driver names each stream <prefix>/<container>/<task id>: the
// task is the target.
func (e *Env) Logs(ctx context.Context, opts env.LogOptions, emit func(env.LogLine)) error {
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return err
	}
	group := e.Outputs.LogGroupName
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)}
	if opts.Target != "" {
		if stream := e.taskStream(ctx, opts.Target); stream != "" {
			in.LogStreamNames = []string{stream}
		}
	}
	t := &groupTail{client: cloudwatchlogs.NewFromConfig(cfg), in: in, target: opts.Target}
	if !opts.Since.IsZero() {
		t.start = opts.Since.UnixMilli()
	}
	every := opts.PollInterval
	if every <= 0 {
		every = logPollInterval
	}
	for {
		if err := t.poll(ctx, emit); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var nf *types.ResourceNotFoundException
			if errors.As(err, &nf) {
				return fmt.Errorf("the log group %s of env %s does not exist: run `empctl provision --env %s`", group, e.Config.Name, e.Config.Name)
			}
			return fmt.Errorf("reading the log group %s: %w", group, err)
		}
		if !opts.Follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// taskStream is the stream of one task, from the stream prefix of the
// family's latest revision; empty when that is unknown (the events are then
// picked by their stream's last part).
func (e *Env) taskStream(ctx context.Context, task string) string {
	c, err := e.ecsClients(ctx)
	if err != nil {
		return ""
	}
	prefix := e.streamPrefix(ctx, c, e.Outputs.TaskFamily)
	if prefix == "" {
		return ""
	}
	return prefix + "/" + e.Outputs.ContainerName + "/" + task
}

// groupTail reads a log group from start on, each event once.
type groupTail struct {
	client *cloudwatchlogs.Client
	in     *cloudwatchlogs.FilterLogEventsInput
	target string
	start  int64
	// seen are the events of the newest millisecond read so far: the next
	// poll starts at that millisecond, where more may have landed since.
	seen map[string]bool
}

func (t *groupTail) poll(ctx context.Context, emit func(env.LogLine)) error {
	in := *t.in
	if t.start > 0 {
		in.StartTime = aws.Int64(t.start)
	}
	var events []types.FilteredLogEvent
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(t.client, &in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		events = append(events, page.Events...)
	}
	// Pages are in time order per stream; the lines are in time order.
	sort.SliceStable(events, func(i, j int) bool { return aws.ToInt64(events[i].Timestamp) < aws.ToInt64(events[j].Timestamp) })
	newest, seen := t.start, t.seen
	for _, ev := range events {
		id, ts := aws.ToString(ev.EventId), aws.ToInt64(ev.Timestamp)
		if t.seen[id] {
			continue
		}
		task := path.Base(aws.ToString(ev.LogStreamName))
		if t.target != "" && task != t.target {
			continue
		}
		if ts > newest {
			newest, seen = ts, map[string]bool{}
		}
		if ts == newest {
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[id] = true
		}
		emit(env.LogLine{Time: time.UnixMilli(ts).UTC(), Target: task, Message: strings.TrimRight(aws.ToString(ev.Message), "\n")})
	}
	t.start, t.seen = newest, seen
	return nil
}
