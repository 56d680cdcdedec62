package tf

import (
	"sort"

	tfjson "github.com/hashicorp/terraform-json"
)

// Change is one resource that a plan changes.
type Change struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	// Action is create, update, delete or replace.
	Action string `json:"action"`
	// Kind names the data a stateful resource holds (database, bucket, ...);
	// empty for stateless resources.
	Kind string `json:"kind,omitempty"`
	// Serves names the part of the request path a resource is (target group,
	// load balancer, ...); empty for the others.
	Serves string `json:"serves,omitempty"`
	// CreateFirst is set on a replacement that creates the new resource before
	// it destroys the old one (create_before_destroy).
	CreateFirst bool `json:"createFirst,omitempty"`
}

// Summary is what a plan would do, counted the way Terraform counts it (a
// replacement is one add and one destroy).
type Summary struct {
	Add     int      `json:"add"`
	Change  int      `json:"change"`
	Destroy int      `json:"destroy"`
	Changes []Change `json:"changes"`
	// DataLoss lists the stateful resources the plan destroys or replaces: their
	// data is gone unless backed up.
	DataLoss []Change `json:"dataLoss"`
	// Interruptions lists the replacements on the request path (target group,
	// load balancer, ...): requests can fail until the new one serves.
	Interruptions []Change `json:"interruptions"`
	// OutputsChanged is set when only outputs change (no resource does).
	OutputsChanged bool `json:"outputsChanged"`
}

// HasChanges reports whether applying the plan would do anything.
func (s Summary) HasChanges() bool { return len(s.Changes) > 0 || s.OutputsChanged }

// statefulTypes are resource types whose destruction loses data.
var statefulTypes = map[string]string{
	"aws_db_instance":           "database",
	"aws_rds_cluster":           "database",
	"aws_s3_bucket":             "bucket",
	"aws_ecr_repository":        "repository",
	"aws_dynamodb_table":        "table",
	"aws_efs_file_system":       "file system",
	"aws_secretsmanager_secret": "secret",
}

// terraform_data resources stand in for things Terraform does not model
// (scripts, external systems); their name says what they hold.
var statefulNames = map[string]string{
	"database":   "database",
	"db":         "database",
	"bucket":     "bucket",
	"repository": "repository",
}

// servingTypes are resource types on the path of a request to the API; a
// replacement interrupts it until the new one serves.
var servingTypes = map[string]string{
	"aws_lb":                              "load balancer",
	"aws_lb_listener":                     "listener",
	"aws_lb_target_group":                 "target group",
	"aws_cloudfront_vpc_origin":           "CloudFront VPC origin",
	"aws_cloudfront_distribution":         "CloudFront distribution",
	"aws_ecs_service":                     "ECS service",
	"aws_security_group_rule":             "security group rule",
	"aws_vpc_security_group_ingress_rule": "security group rule",
}

// servingNames are the terraform_data names that stand in for them in tests
// and scripts.
var servingNames = map[string]string{
	"target_group":  "target group",
	"load_balancer": "load balancer",
}

// servingPart returns what part of the request path a resource is, or "".
func servingPart(resourceType, name string) string {
	if part, ok := servingTypes[resourceType]; ok {
		return part
	}
	if resourceType == "terraform_data" {
		return servingNames[name]
	}
	return ""
}

// statefulKind returns what data a resource holds, or "" if it holds none.
func statefulKind(resourceType, name string) string {
	if kind, ok := statefulTypes[resourceType]; ok {
		return kind
	}
	if resourceType == "terraform_data" {
		return statefulNames[name]
	}
	return ""
}

// summarize reads a plan as `terraform show -json` gives it.
func summarize(p *tfjson.Plan) Summary {
	s := Summary{Changes: []Change{}, DataLoss: []Change{}, Interruptions: []Change{}}
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode == tfjson.DataResourceMode {
			continue
		}
		a := rc.Change.Actions
		var action string
		switch {
		case a.Create():
			action, s.Add = "create", s.Add+1
		case a.Update():
			action, s.Change = "update", s.Change+1
		case a.Delete():
			action, s.Destroy = "delete", s.Destroy+1
		case a.Replace():
			action, s.Add, s.Destroy = "replace", s.Add+1, s.Destroy+1
		default: // no-op, read, forget
			continue
		}
		c := Change{Address: rc.Address, Type: rc.Type, Action: action, Kind: statefulKind(rc.Type, rc.Name), Serves: servingPart(rc.Type, rc.Name)}
		if action == "replace" {
			c.CreateFirst = a.CreateBeforeDestroy()
		}
		s.Changes = append(s.Changes, c)
		if c.Kind != "" && (action == "delete" || action == "replace") {
			s.DataLoss = append(s.DataLoss, c)
		}
		if c.Serves != "" && action == "replace" {
			s.Interruptions = append(s.Interruptions, c)
		}
	}
	sort.Slice(s.Changes, func(i, j int) bool { return s.Changes[i].Address < s.Changes[j].Address })
	sort.Slice(s.DataLoss, func(i, j int) bool { return s.DataLoss[i].Address < s.DataLoss[j].Address })
	sort.Slice(s.Interruptions, func(i, j int) bool { return s.Interruptions[i].Address < s.Interruptions[j].Address })
	if len(s.Changes) == 0 {
		for _, oc := range p.OutputChanges {
			if oc != nil && !oc.Actions.NoOp() {
				s.OutputsChanged = true
			}
		}
	}
	return s
}
