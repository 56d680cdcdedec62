package iampolicy

import "github.com/empctl/empctl/pkg/ecsdeploy"

// The Service Authorization Reference (SAR) pages the resources and
// conditions below follow; each lists, per action, the resource types it can
// be scoped to (none means Resource "*") and its condition keys:
//
//	ECR:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
//	ECS:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
//	ELBv2:      https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
//	Logs:       https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
//	S3:         https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
//	CloudFront: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudfront.html
//	IAM:        https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
//	Secrets Manager: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html

// rules are the policy: one line per action and the resources it is on.
// Adding an action the commands call is adding a line here.
var rules = []struct {
	action string
	on     resource
}{
	{"ecr:GetAuthorizationToken", unscoped},
	{"ecr:DescribeRepositories", repository},
	{"ecr:BatchCheckLayerAvailability", repository},
	{"ecr:InitiateLayerUpload", repository},
	{"ecr:UploadLayerPart", repository},
	{"ecr:CompleteLayerUpload", repository},
	{"ecr:PutImage", repository},
	{"ecr:BatchGetImage", repository},
	{"ecr:GetDownloadUrlForLayer", repository},

	{"ecs:RegisterTaskDefinition", unscoped},
	{"ecs:DescribeTaskDefinition", unscoped},
	{"ecs:ListTaskDefinitions", unscoped},
	{"ecs:TagResource", tagOnRegister},
	{"ecs:TagResource", servedTag},
	{"iam:PassRole", taskRoles},
	{"ecs:DescribeServices", service},
	{"ecs:UpdateService", service},
	{"ecs:ListServiceDeployments", service},
	{"ecs:DescribeServiceDeployments", serviceDeployments},
	{"ecs:StopServiceDeployment", serviceDeployments},
	{"ecs:ListTasks", clusterTasksList},
	{"ecs:DescribeTasks", tasks},
	{"ecs:StopTask", tasks},
	{"elasticloadbalancing:DescribeTargetHealth", unscoped},
	{"logs:GetLogEvents", logStreams},
	{"logs:FilterLogEvents", logStreams}, // empctl logs

	{"s3:ListBucket", bucket},
	{"s3:GetObject", objects}, // also what S3 requires of a conditional write with If-Match (the deploy lock)
	{"s3:PutObject", objects},
	{"s3:DeleteObject", objects},
	{"s3:AbortMultipartUpload", objects},
	{"cloudfront:GetDistribution", distribution},
	{"cloudfront:CreateInvalidation", distribution},
	{"cloudfront:GetInvalidation", distribution},

	// Progressive delivery (deploy backend --strategy blue-green, canary,
	// linear), only for an environment provisioned with progressive_delivery.
	{"ecs:ContinueServiceDeployment", progressive(serviceDeployments)},
	{"elasticloadbalancing:DescribeRules", progressive(unscoped)},
	{"cloudwatch:GetMetricData", progressive(unscoped)},
	{"iam:PassRole", loadBalancersRole},

	// The gate and verify read the operator key (server/README.md, "Operator
	// allowance"), only of an environment provisioned with it.
	{"secretsmanager:GetSecretValue", operatorKey},
}

// resource is a statement's resources and conditions; sid names it. only,
// when set, says whether the scope needs the statement at all.
type resource struct {
	sid       string
	arns      func(Scope) []string
	condition func(Scope) map[string]map[string][]string
	only      func(Scope) bool
}

// progressive is r for an environment with the progressive-delivery
// plumbing only.
func progressive(r resource) resource {
	r.only = func(s Scope) bool { return s.LoadBalancersRoleARN != "" }
	return r
}

func one(f func(Scope) string) func(Scope) []string {
	return func(s Scope) []string { return []string{f(s)} }
}

var (
	// unscoped: actions whose SAR entry lists no resource type, so IAM
	// accepts only "*": ecr:GetAuthorizationToken, ecs:RegisterTaskDefinition,
	// ecs:DescribeTaskDefinition, ecs:ListTaskDefinitions and every
	// elasticloadbalancing:Describe* (DescribeTargetHealth cannot be limited
	// to the environment's target group).
	unscoped = resource{sid: "ActionsIAMCannotScope", arns: func(Scope) []string { return []string{"*"} }}

	repository = resource{sid: "ServerImageRepository", arns: one(func(s Scope) string { return s.arn("ecr", "repository/"+s.Repository) })}

	// tagOnRegister: a RegisterTaskDefinition that carries tags (the base
	// revision's, which default_tags always gives) is also authorized as
	// ecs:TagResource on the new revision, with ecs:CreateAction naming the
	// create call (ECS's tag-on-create authorization).
	tagOnRegister = resource{sid: "TagRevisionsOnRegister", arns: one(taskDefinitions),
		condition: func(Scope) map[string]map[string][]string {
			return map[string]map[string][]string{"StringEquals": {"ecs:CreateAction": {"RegisterTaskDefinition"}}}
		}}
	// servedTag: the one tag empctl puts on an existing revision.
	servedTag = resource{sid: "TagServedRevisions", arns: one(taskDefinitions),
		condition: func(Scope) map[string]map[string][]string {
			return map[string]map[string][]string{"ForAllValues:StringEquals": {"aws:TagKeys": {ecsdeploy.ServedTag}}}
		}}
	// taskRoles: registering a revision passes its roles to ECS tasks.
	taskRoles = resource{sid: "PassTheTaskRolesToECS", arns: func(s Scope) []string { return []string{s.TaskRoleARN, s.ExecutionRoleARN} },
		condition: func(Scope) map[string]map[string][]string {
			return map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}}
		}}
	// loadBalancersRole: a progressive deploy passes the ECS infrastructure
	// role that shifts the load balancer's traffic (advancedConfiguration).
	loadBalancersRole = progressive(resource{sid: "PassTheLoadBalancersRoleToECS", arns: func(s Scope) []string { return []string{s.LoadBalancersRoleARN} },
		condition: func(Scope) map[string]map[string][]string {
			return map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"ecs.amazonaws.com"}}}
		}})
	// operatorKey: the one secret the deployer reads, by its full ARN.
	operatorKey = resource{sid: "OperatorKey", arns: func(s Scope) []string { return []string{s.OperatorKeySecretARN} },
		only: func(s Scope) bool { return s.OperatorKeySecretARN != "" }}
	service            = resource{sid: "Service", arns: one(func(s Scope) string { return s.arn("ecs", "service/"+s.Cluster+"/"+s.Service) })}
	serviceDeployments = resource{sid: "ServiceDeployments",
		arns: one(func(s Scope) string { return s.arn("ecs", "service-deployment/"+s.Cluster+"/"+s.Service+"/*") })}
	// clusterTasksList: ecs:ListTasks has no resource of its own to scope for
	// Fargate tasks; its ecs:cluster condition keeps it to the cluster.
	clusterTasksList = resource{sid: "ListTheClustersTasks", arns: func(Scope) []string { return []string{"*"} },
		condition: func(s Scope) map[string]map[string][]string {
			return map[string]map[string][]string{"ArnEquals": {"ecs:cluster": {s.arn("ecs", "cluster/"+s.Cluster)}}}
		}}
	tasks      = resource{sid: "ClusterTasks", arns: one(func(s Scope) string { return s.arn("ecs", "task/"+s.Cluster+"/*") })}
	logStreams = resource{sid: "ServerLogs", arns: func(s Scope) []string {
		group := s.arn("logs", "log-group:"+s.LogGroup)
		return []string{group, group + ":log-stream:*"}
	}}
	// S3 ARNs name no region or account.
	bucket       = resource{sid: "WebappBucket", arns: one(func(s Scope) string { return "arn:" + s.Partition + ":s3:::" + s.Bucket })}
	objects      = resource{sid: "WebappObjects", arns: one(func(s Scope) string { return "arn:" + s.Partition + ":s3:::" + s.Bucket + "/*" })}
	distribution = resource{sid: "Distribution", arns: one(func(s Scope) string {
		return "arn:" + s.Partition + ":cloudfront::" + s.Account + ":distribution/" + s.DistributionID
	})}
)

func taskDefinitions(s Scope) string { return s.arn("ecs", "task-definition/"+s.TaskFamily+":*") }
