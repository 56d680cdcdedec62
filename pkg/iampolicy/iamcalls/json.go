package iamcalls

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/empctl/empctl/pkg/iampolicy"
	"github.com/empctl/empctl/pkg/testenv"
)

// jsonBody holds the request members the resources are named by, across
// ECS, ECR, CloudWatch Logs and Secrets Manager.
type jsonBody struct {
	Cluster               string   `json:"cluster"`
	Service               string   `json:"service"`
	Services              []string `json:"services"`
	Task                  string   `json:"task"`
	Tasks                 []string `json:"tasks"`
	TaskDefinition        string   `json:"taskDefinition"`
	Family                string   `json:"family"`
	ResourceArn           string   `json:"resourceArn"`
	ServiceDeploymentArn  string   `json:"serviceDeploymentArn"`
	ServiceDeploymentArns []string `json:"serviceDeploymentArns"`
	TaskRoleArn           string   `json:"taskRoleArn"`
	ExecutionRoleArn      string   `json:"executionRoleArn"`
	Tags                  []struct {
		Key string `json:"key"`
	} `json:"tags"`

	RegistryID      string   `json:"registryId"`
	RepositoryName  string   `json:"repositoryName"`
	RepositoryNames []string `json:"repositoryNames"`

	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`

	SecretID string `json:"SecretId"`
}

func (a arns) jsonProtocol(service string, r testenv.ProxiedRequest) ([]Call, error) {
	_, op, ok := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if !ok {
		return nil, fmt.Errorf("%s: X-Amz-Target %q names no operation", service, r.Header.Get("X-Amz-Target"))
	}
	var b jsonBody
	if len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, &b); err != nil {
			return nil, fmt.Errorf("%s %s: body is not JSON: %v", service, op, err)
		}
	}
	what := service + " " + op
	call := func(action string, resources ...string) []Call {
		var out []Call
		for _, res := range resources {
			out = append(out, Call{What: what, Request: iampolicy.Request{Action: action, Resource: res}})
		}
		return out
	}
	action := service + ":" + op
	switch service {
	case "ecs":
		return a.ecs(what, action, op, b), nil
	case "ecr":
		account := a.Account
		if b.RegistryID != "" {
			account = b.RegistryID
		}
		repo := func(name string) string {
			return "arn:" + a.Partition + ":ecr:" + a.region + ":" + account + ":repository/" + name
		}
		switch {
		case b.RepositoryName != "":
			return call(action, repo(b.RepositoryName)), nil
		case len(b.RepositoryNames) > 0:
			var res []string
			for _, n := range b.RepositoryNames {
				res = append(res, repo(n))
			}
			return call(action, res...), nil
		}
		return call(action, "*"), nil
	case "secretsmanager":
		// The SAR's resource is the secret; empctl names it by its ARN.
		if !strings.HasPrefix(b.SecretID, "arn:") {
			return nil, fmt.Errorf("%s: SecretId %q is not an ARN", what, b.SecretID)
		}
		return call(action, b.SecretID), nil
	case "logs":
		if b.LogGroupName == "" {
			return call(action, "*"), nil
		}
		group := a.arn("logs", "log-group:"+b.LogGroupName)
		if b.LogStreamName != "" {
			return call(action, group+":log-stream:"+b.LogStreamName), nil
		}
		return call(action, group), nil
	}
	return nil, fmt.Errorf("%s: no translation for the JSON protocol of %s", what, service)
}

// ecs maps an ECS operation to the resources the SAR lists for it.
func (a arns) ecs(what, action, op string, b jsonBody) []Call {
	cluster := lastSegment(b.Cluster)
	if cluster == "" {
		cluster = "default"
	}
	clusterARN := a.arn("ecs", "cluster/"+cluster)
	withCluster := map[string][]string{"ecs:cluster": {clusterARN}}
	one := func(res string, ctx map[string][]string) Call {
		return Call{What: what, Request: iampolicy.Request{Action: action, Resource: res, Context: ctx}}
	}
	serviceARN := func(s string) string { return a.arn("ecs", "service/"+cluster+"/"+lastSegment(s)) }
	taskARN := func(t string) string { return a.arn("ecs", "task/"+cluster+"/"+lastSegment(t)) }
	taskDefARN := func(td string) string {
		if strings.HasPrefix(td, "arn:") {
			return td
		}
		return a.arn("ecs", "task-definition/"+td)
	}
	var out []Call
	switch op {
	case "DescribeServices":
		for _, s := range b.Services {
			out = append(out, one(serviceARN(s), withCluster))
		}
	case "UpdateService", "ListServiceDeployments":
		out = append(out, one(serviceARN(b.Service), withCluster))
	case "DescribeServiceDeployments":
		for _, d := range b.ServiceDeploymentArns {
			out = append(out, one(d, nil))
		}
	case "StopServiceDeployment", "ContinueServiceDeployment":
		out = append(out, one(b.ServiceDeploymentArn, nil))
	case "ListTasks":
		out = append(out, one("*", withCluster))
	case "DescribeTasks":
		for _, t := range b.Tasks {
			out = append(out, one(taskARN(t), withCluster))
		}
	case "StopTask":
		out = append(out, one(taskARN(b.Task), withCluster))
	case "DescribeTaskDefinition":
		out = append(out, one(taskDefARN(b.TaskDefinition), nil))
	case "TagResource":
		out = append(out, one(b.ResourceArn, map[string][]string{"aws:TagKeys": tagKeys(b)}))
	case "RegisterTaskDefinition":
		// The new revision's number is in the response, which is not recorded.
		newRevision := a.arn("ecs", "task-definition/"+b.Family+":<new revision>")
		out = append(out, one(newRevision, nil))
		if len(b.Tags) > 0 {
			out = append(out, Call{What: what + " (tag on create)", Request: iampolicy.Request{Action: "ecs:TagResource", Resource: newRevision,
				Context: map[string][]string{"ecs:CreateAction": {"RegisterTaskDefinition"}, "aws:TagKeys": tagKeys(b)}}})
		}
		for _, role := range []string{b.TaskRoleArn, b.ExecutionRoleArn} {
			if role != "" {
				out = append(out, Call{What: what + " (passes its role)", Request: iampolicy.Request{Action: "iam:PassRole", Resource: role,
					Context: map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}}})
			}
		}
	default:
		// Not known here: judged on "*", which only a statement for every
		// resource allows; a new call fails until it is mapped and allowed.
		out = append(out, one("*", withCluster))
	}
	return out
}

func tagKeys(b jsonBody) []string {
	var keys []string
	for _, t := range b.Tags {
		keys = append(keys, t.Key)
	}
	return keys
}
