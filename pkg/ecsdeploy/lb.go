package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Plumbing is what Terraform makes when progressive_delivery is on: the
// alternate target group, the production and test listener rules whose
// forward weights ECS rewrites, the ECS infrastructure role for load
// balancers, and the name of the header the test rule matches.
type Plumbing struct {
	AlternateTargetGroupARN string
	ProductionRuleARN       string
	TestRuleARN             string
	RoleARN                 string
	TestHeaderName          string
}

// ErrNoPlumbing is a progressive strategy on an environment provisioned
// without progressive_delivery.
var ErrNoPlumbing = errors.New("the environment has no progressive delivery plumbing (alternate target group, production and test listener rules, ECS infrastructure role): " +
	"set progressive_delivery = true in its Terraform variables, run `empctl provision`, then deploy again (or deploy with --strategy rolling)")

func (p Plumbing) check() error {
	if p.AlternateTargetGroupARN == "" || p.ProductionRuleARN == "" || p.TestRuleARN == "" || p.RoleARN == "" || p.TestHeaderName == "" {
		return ErrNoPlumbing
	}
	return nil
}

// describeRule is one listener rule.
func describeRule(ctx context.Context, c Clients, arn string) (*elbtypes.Rule, error) {
	if c.ELB == nil {
		return nil, fmt.Errorf("no load balancer client to read listener rule %s", arn)
	}
	out, err := c.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("reading listener rule %s (elasticloadbalancing:DescribeRules): %w", arn, err)
	}
	if len(out.Rules) == 0 {
		return nil, &NotFoundError{What: "listener rule", Name: arn, Hint: provisionHint}
	}
	return &out.Rules[0], nil
}

// testHeaderValue reads the secret value of the test route's header from the
// test rule's http-header condition: Terraform keeps it as a sensitive
// output, out of outputs.json.
func testHeaderValue(ctx context.Context, c Clients, p Plumbing) (string, error) {
	r, err := describeRule(ctx, c, p.TestRuleARN)
	if err != nil {
		return "", err
	}
	for _, cond := range r.Conditions {
		if h := cond.HttpHeaderConfig; aws.ToString(cond.Field) == "http-header" && h != nil &&
			strings.EqualFold(aws.ToString(h.HttpHeaderName), p.TestHeaderName) && len(h.Values) == 1 {
			return h.Values[0], nil
		}
	}
	return "", fmt.Errorf("test listener rule %s has no http-header condition on %s with one value: %s", p.TestRuleARN, p.TestHeaderName, provisionHint)
}

// liveTargetGroups says which target group serves production now (old: the
// new revision goes to the other, new). ECS swaps the two at every
// blue/green, canary or linear deployment and says which is which nowhere but
// in the production rule's forward weights, which it writes: before the
// update, the group with the weight is the old revision's.
func liveTargetGroups(ctx context.Context, c Clients, svc Service, p Plumbing) (old, new string, err error) {
	r, err := describeRule(ctx, c, p.ProductionRuleARN)
	if err != nil {
		return "", "", err
	}
	old = svc.TargetGroupARN
	for _, a := range r.Actions {
		if a.ForwardConfig == nil {
			continue
		}
		var most int32 = -1
		for _, tg := range a.ForwardConfig.TargetGroups {
			if w := aws.ToInt32(tg.Weight); w > most {
				most, old = w, aws.ToString(tg.TargetGroupArn)
			}
		}
	}
	new = p.AlternateTargetGroupARN
	if new == old {
		new = svc.TargetGroupARN
	}
	return old, new, nil
}
