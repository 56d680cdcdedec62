package ecsdeploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// serviceTasks describes the service's tasks whose desired status is status
// (RUNNING or STOPPED; ECS keeps stopped tasks for about an hour).
func serviceTasks(ctx context.Context, c Clients, svc Service, status types.DesiredStatus) ([]types.Task, error) {
	var tasks []types.Task
	p := ecs.NewListTasksPaginator(c.ECS, &ecs.ListTasksInput{
		Cluster: aws.String(svc.Cluster), ServiceName: aws.String(svc.Name), DesiredStatus: status,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing tasks of %s: %w", svc.Name, err)
		}
		for ids := range slices.Chunk(page.TaskArns, 100) {
			out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(svc.Cluster), Tasks: ids})
			if err != nil {
				return nil, fmt.Errorf("describing tasks of %s: %w", svc.Name, err)
			}
			tasks = append(tasks, out.Tasks...)
		}
	}
	return tasks, nil
}

// taskID is the last part of a task ARN.
func taskID(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// taskIP is the private address of the task's network interface (awsvpc),
// which is how the target group knows it.
func taskIP(t types.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}

// stoppedTasks are the stopped tasks of taskDef, newest first, with why they
// stopped.
func stoppedTasks(ctx context.Context, c Clients, svc Service, taskDef string) ([]StoppedTask, error) {
	tasks, err := serviceTasks(ctx, c, svc, types.DesiredStatusStopped)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(tasks, func(i, j int) bool {
		return aws.ToTime(tasks[i].StoppedAt).After(aws.ToTime(tasks[j].StoppedAt))
	})
	var out []StoppedTask
	for _, t := range tasks {
		if aws.ToString(t.TaskDefinitionArn) != taskDef {
			continue
		}
		st := StoppedTask{ID: taskID(aws.ToString(t.TaskArn)), StoppedReason: aws.ToString(t.StoppedReason)}
		for _, ct := range t.Containers {
			if ct.ExitCode != nil || ct.Reason != nil {
				st.Containers = append(st.Containers, ContainerExit{Name: aws.ToString(ct.Name), ExitCode: ct.ExitCode, Reason: aws.ToString(ct.Reason)})
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// targetHealth is the target group's targets by IP, with each one's state.
func targetHealth(ctx context.Context, c Clients, svc Service) (map[string]elbTarget, error) {
	if svc.TargetGroupARN == "" || c.ELB == nil {
		return nil, nil
	}
	out, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(svc.TargetGroupARN)})
	if err != nil {
		return nil, fmt.Errorf("describing the health of target group %s: %w", svc.TargetGroupARN, err)
	}
	targets := map[string]elbTarget{}
	for _, d := range out.TargetHealthDescriptions {
		if d.Target == nil || d.TargetHealth == nil {
			continue
		}
		targets[aws.ToString(d.Target.Id)] = elbTarget{
			az:     aws.ToString(d.Target.AvailabilityZone),
			state:  string(d.TargetHealth.State),
			reason: aws.ToString(d.TargetHealth.Description),
		}
	}
	return targets, nil
}

type elbTarget struct{ az, state, reason string }

// healthByAZ counts targets per availability zone. A target's zone is the one
// the target group reports (set when it was registered with one), else that of
// the task whose network interface has its address.
func healthByAZ(targets map[string]elbTarget, tasks []types.Task) []AZHealth {
	taskAZ := map[string]string{}
	for _, t := range tasks {
		if ip := taskIP(t); ip != "" {
			taskAZ[ip] = aws.ToString(t.AvailabilityZone)
		}
	}
	byAZ := map[string]*AZHealth{}
	for id, t := range targets {
		az := t.az
		if az == "" || az == "all" {
			az = taskAZ[id]
		}
		if az == "" {
			az = "unknown"
		}
		h := byAZ[az]
		if h == nil {
			h = &AZHealth{AZ: az}
			byAZ[az] = h
		}
		switch t.state {
		case "healthy":
			h.Healthy++
		case "initial":
			h.Initial++
		case "draining":
			h.Draining++
		case "unhealthy", "unhealthy.draining":
			h.Unhealthy++
		default:
			h.Other++
		}
	}
	out := make([]AZHealth, 0, len(byAZ))
	for _, h := range byAZ {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AZ < out[j].AZ })
	return out
}
