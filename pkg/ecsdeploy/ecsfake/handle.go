package ecsfake

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// request holds the members of every request the fake reads.
type request struct {
	Cluster               string          `json:"cluster"`
	Services              []string        `json:"services"`
	Service               string          `json:"service"`
	TaskDefinition        string          `json:"taskDefinition"`
	ServiceDeploymentArns []string        `json:"serviceDeploymentArns"`
	ServiceDeploymentArn  string          `json:"serviceDeploymentArn"`
	StopType              string          `json:"stopType"`
	Status                json.RawMessage `json:"status"` // a list in ListServiceDeployments, a string in ListTaskDefinitions
	DesiredStatus         string          `json:"desiredStatus"`
	Tasks                 []string        `json:"tasks"`
	FamilyPrefix          string          `json:"familyPrefix"`
	DesiredCount          *int32          `json:"desiredCount"`
}

var serviceDeploymentOps = []string{"DescribeServiceDeployments", "ListServiceDeployments", "StopServiceDeployment", "ContinueServiceDeployment"}

func (f *Fake) handle(op string, body []byte) (smithy.Serializable, error) {
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, apiError("SerializationException", "%v", err)
	}
	if !f.withAPI && slices.Contains(serviceDeploymentOps, op) {
		if f.noAPICode == "UnsupportedFeatureException" {
			return nil, apiError(f.noAPICode, "The service deployments feature is not supported in this Region.")
		}
		return nil, apiError(f.noAPICode, "Operation %s is not supported.", op)
	}
	if req.Cluster != "" && req.Cluster != Cluster && req.Cluster != prefix+"cluster/"+Cluster {
		return nil, apiError("ClusterNotFoundException", "Cluster not found.")
	}
	switch op {
	case "DescribeServices":
		f.replaced()
		f.offset += f.tick
		f.expireHooks()
		if f.prog != nil {
			f.stepProgressive()
		} else if len(f.pending) > 0 {
			step := f.pending[0]
			f.pending = f.pending[1:]
			step(f)
		}
		view := f.view()
		if f.lagging {
			view, f.lagging = f.beforeUpdate, false
		}
		out := &ecs.DescribeServicesOutput{}
		for _, name := range req.Services {
			if name == Service || name == aws.ToString(f.svc.ServiceArn) {
				out.Services = append(out.Services, view)
			} else {
				out.Failures = append(out.Failures, types.Failure{Arn: aws.String(prefix + "service/" + Cluster + "/" + name), Reason: aws.String("MISSING")})
			}
		}
		return out, nil
	case "UpdateService":
		if req.Service != Service {
			return nil, apiError("ServiceNotFoundException", "Service not found.")
		}
		if f.taskDef(req.TaskDefinition) == nil {
			return nil, apiError("ClientException", "TaskDefinition not found.")
		}
		if f.taskDef(req.TaskDefinition).Status == types.TaskDefinitionStatusInactive {
			return nil, apiError("ClientException", "TaskDefinition is inactive")
		}
		var in ecs.UpdateServiceInput
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, apiError("SerializationException", "%v", err)
		}
		var prog *progressive
		if dc := in.DeploymentConfiguration; dc != nil && dc.Strategy != "" && dc.Strategy != types.DeploymentStrategyRolling {
			if f.prog != nil {
				return nil, apiError("InvalidParameterException", "A service deployment is in progress.")
			}
			p, err := f.planProgressive(&in)
			if err != nil {
				return nil, err
			}
			prog = p
		}
		f.updates++
		f.beforeUpdate = f.view()
		if req.DesiredCount != nil {
			f.svc.DesiredCount = *req.DesiredCount
		}
		f.startDeployment(aws.ToString(f.taskDef(req.TaskDefinition).TaskDefinitionArn))
		f.pending = f.scripts[f.updates]
		if prog != nil {
			f.beginProgressive(prog, &in)
		}
		v := f.view()
		return &ecs.UpdateServiceOutput{Service: &v}, nil
	case "DescribeServiceDeployments":
		out := &ecs.DescribeServiceDeploymentsOutput{}
		missing := f.missing > 0
		if missing {
			f.missing--
		}
		for _, arn := range req.ServiceDeploymentArns {
			if sd := f.sds[arn]; sd != nil && !missing {
				out.ServiceDeployments = append(out.ServiceDeployments, *sd)
			} else {
				out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			}
		}
		return out, nil
	case "ListServiceDeployments":
		out := &ecs.ListServiceDeploymentsOutput{}
		var statuses []string
		if len(req.Status) > 0 {
			if err := json.Unmarshal(req.Status, &statuses); err != nil {
				return nil, apiError("SerializationException", "status: %v", err)
			}
		}
		for _, sd := range f.sds {
			if aws.ToTime(sd.CreatedAt).Before(historyStart()) {
				continue
			}
			if len(statuses) == 0 || slices.Contains(statuses, string(sd.Status)) {
				out.ServiceDeployments = append(out.ServiceDeployments, types.ServiceDeploymentBrief{
					ServiceDeploymentArn: sd.ServiceDeploymentArn, Status: sd.Status, StatusReason: sd.StatusReason,
					ServiceArn: sd.ServiceArn, ClusterArn: sd.ClusterArn, CreatedAt: sd.CreatedAt,
				})
			}
		}
		return out, nil
	case "StopServiceDeployment":
		f.catchUpToStop()
		sd := f.sds[req.ServiceDeploymentArn]
		if sd == nil {
			return nil, apiError("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
		}
		// "Stopping Amazon ECS service deployments" (ECS developer guide): a
		// deployment PENDING or IN_PROGRESS moves to ROLLBACK_REQUESTED; one
		// STOP_REQUESTED, ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS accepts
		// the stop and carries on as it was. An ended one is not listed; the
		// fake refuses it.
		switch sd.Status {
		case types.ServiceDeploymentStatusStopRequested, types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress:
			f.stopRequest = req.StopType
			return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: sd.ServiceDeploymentArn}, nil
		case types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress:
		default:
			return nil, apiError("ConflictException", "The service deployment is %s and cannot be stopped.", sd.Status)
		}
		f.stopRequest = req.StopType
		if f.prog != nil && req.StopType == string(types.StopServiceDeploymentStopTypeRollback) {
			// Blue/green keeps the old revision running: traffic goes back at once.
			f.rollBackProgressive("Service deployment rolled back because of a StopServiceDeployment request.")
			return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: sd.ServiceDeploymentArn}, nil
		}
		sd.Status = types.ServiceDeploymentStatusRollbackRequested
		if req.StopType == string(types.StopServiceDeploymentStopTypeAbort) {
			sd.Status = types.ServiceDeploymentStatusStopRequested
		}
		f.pending = f.stopScript
		if len(f.pending) > 0 {
			f.pending[0](f)
			f.pending = f.pending[1:]
		}
		return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: sd.ServiceDeploymentArn}, nil
	case "DescribeTaskDefinition":
		td := f.taskDef(req.TaskDefinition)
		// "You can only describe INACTIVE task definitions while an active
		// task or service references them" (DescribeTaskDefinition, ECS API
		// reference).
		if td == nil || td.Status == types.TaskDefinitionStatusInactive && !f.referenced(aws.ToString(td.TaskDefinitionArn)) {
			return nil, apiError("ClientException", "Unable to describe task definition.")
		}
		return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td, Tags: f.tdTags[aws.ToString(td.TaskDefinitionArn)]}, nil
	case "TagResource":
		var in ecs.TagResourceInput
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, apiError("ClientException", "%v", err)
		}
		arn := aws.ToString(in.ResourceArn)
		if f.noTagging {
			return nil, deniedTagging(arn)
		}
		if f.taskDef(arn) == nil {
			return nil, apiError("InvalidParameterException", "The specified resource does not exist: %s", arn)
		}
		for _, tag := range in.Tags {
			tags := f.tdTags[arn][:0:0]
			for _, old := range f.tdTags[arn] {
				if aws.ToString(old.Key) != aws.ToString(tag.Key) {
					tags = append(tags, old)
				}
			}
			f.tdTags[arn] = append(tags, tag)
		}
		return &ecs.TagResourceOutput{}, nil
	case "RegisterTaskDefinition":
		// The request's members match the SDK's field names but for case,
		// which encoding/json ignores.
		var in ecs.RegisterTaskDefinitionInput
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, apiError("ClientException", "%v", err)
		}
		rev := int32(1)
		for _, td := range f.taskDefs {
			if aws.ToString(td.Family) == aws.ToString(in.Family) && td.Revision >= rev {
				rev = td.Revision + 1
			}
		}
		if f.noTagging && len(in.Tags) > 0 {
			return nil, deniedTagging(TaskDefinitionARN(int(rev)))
		}
		td := types.TaskDefinition{
			TaskDefinitionArn: aws.String(TaskDefinitionARN(int(rev))), Family: in.Family, Revision: rev, Status: types.TaskDefinitionStatusActive,
			ContainerDefinitions: in.ContainerDefinitions, Cpu: in.Cpu, Memory: in.Memory, NetworkMode: in.NetworkMode,
			RuntimePlatform: in.RuntimePlatform, ExecutionRoleArn: in.ExecutionRoleArn, TaskRoleArn: in.TaskRoleArn,
			RequiresCompatibilities: in.RequiresCompatibilities,
		}
		f.taskDefs = append(f.taskDefs, td)
		f.tdTags[aws.ToString(td.TaskDefinitionArn)] = in.Tags
		return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &td, Tags: in.Tags}, nil
	case "ListTaskDefinitions":
		out := &ecs.ListTaskDefinitionsOutput{}
		var status string // ACTIVE unless asked otherwise
		if len(req.Status) > 0 {
			if err := json.Unmarshal(req.Status, &status); err != nil {
				return nil, apiError("SerializationException", "status: %v", err)
			}
		}
		for _, td := range slices.Backward(f.taskDefs) { // newest first, as Sort DESC asks
			if strings.HasPrefix(aws.ToString(td.Family), req.FamilyPrefix) && string(td.Status) == cmpOr(status, "ACTIVE") {
				out.TaskDefinitionArns = append(out.TaskDefinitionArns, aws.ToString(td.TaskDefinitionArn))
			}
		}
		return out, nil
	case "ListTasks":
		out := &ecs.ListTasksOutput{}
		want := cmpOr(req.DesiredStatus, "RUNNING")
		for _, t := range f.tasks {
			if aws.ToString(t.DesiredStatus) == want {
				out.TaskArns = append(out.TaskArns, aws.ToString(t.TaskArn))
			}
		}
		return out, nil
	case "ContinueServiceDeployment":
		return f.continueDeployment(body)
	case "StopTask":
		return f.stopTask(body)
	case "DescribeTasks":
		out := &ecs.DescribeTasksOutput{}
		for _, t := range f.tasks {
			if slices.Contains(req.Tasks, aws.ToString(t.TaskArn)) {
				out.Tasks = append(out.Tasks, t)
			}
		}
		return out, nil
	}
	return nil, apiError("UnknownOperationException", "the ECS fake does not implement %s", op)
}

// referenced says whether the service or a running task uses a task definition.
func (f *Fake) referenced(arn string) bool {
	for _, d := range f.svc.Deployments {
		if aws.ToString(d.TaskDefinition) == arn {
			return true
		}
	}
	for _, t := range f.tasks {
		if aws.ToString(t.TaskDefinitionArn) == arn && aws.ToString(t.DesiredStatus) == "RUNNING" {
			return true
		}
	}
	return false
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// taskDef finds a task definition by ARN, family:revision, or family (the
// latest ACTIVE revision).
func (f *Fake) taskDef(name string) *types.TaskDefinition {
	var latest *types.TaskDefinition
	for i := range f.taskDefs {
		td := &f.taskDefs[i]
		arn := aws.ToString(td.TaskDefinitionArn)
		if name == arn || strings.HasSuffix(arn, "/"+name) {
			return td
		}
		if name == aws.ToString(td.Family) && td.Status == types.TaskDefinitionStatusActive && (latest == nil || td.Revision > latest.Revision) {
			latest = td
		}
	}
	return latest
}

// view is the service as DescribeServices shows it: counts summed over the
// deployments, the newest events first, and no currentServiceDeployment
// where the endpoint has no service deployments API (unless it shows the field
// anyway: CurrentServiceDeploymentWithoutAPI).
func (f *Fake) view() types.Service {
	s := f.svc
	s.Deployments = slices.Clone(f.svc.Deployments)
	s.Events = slices.Clone(f.svc.Events)
	s.RunningCount, s.PendingCount = 0, 0
	for _, d := range s.Deployments {
		s.RunningCount += d.RunningCount
		s.PendingCount += d.PendingCount
	}
	if !f.withAPI && !f.fieldOnly {
		s.CurrentServiceDeployment = nil
	}
	return s
}
