package ecsdeploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/empctl/empctl/pkg/rollout"
)

// CloudWatchAPI is the part of *cloudwatch.Client this package calls.
type CloudWatchAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// albTraffic reads each version's production counts from the ALB's
// per-target-group metrics (namespace AWS/ApplicationELB, dimensions
// TargetGroup and LoadBalancer), summed since the deployment began. They are
// one-minute sums, published a minute or so late: a step shorter than that
// is judged on the probe's own failures mostly.
type albTraffic struct {
	cw           CloudWatchAPI
	loadBalancer string // app/name/id
	oldTG, newTG string // targetgroup/name/id
	since        time.Time
	now          func() time.Time
}

func newALBTraffic(cw CloudWatchAPI, productionRuleARN, oldTG, newTG string, since time.Time) *albTraffic {
	return &albTraffic{cw: cw, loadBalancer: lbDimension(productionRuleARN), oldTG: tgDimension(oldTG), newTG: tgDimension(newTG),
		since: since.Truncate(time.Minute), now: time.Now}
}

// lbDimension is the LoadBalancer dimension (app/name/id) from a listener
// rule's ARN (…:listener-rule/app/name/id/listener-id/rule-id).
func lbDimension(ruleARN string) string {
	_, rest, ok := strings.Cut(ruleARN, ":listener-rule/")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 {
		return ""
	}
	return strings.Join(parts[:3], "/")
}

// tgDimension is the TargetGroup dimension (targetgroup/name/id) from its ARN.
func tgDimension(arn string) string {
	if i := strings.Index(arn, "targetgroup/"); i >= 0 {
		return arn[i:]
	}
	return arn
}

var albMetrics = []string{"RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"}

// Counts sums the metrics of both target groups since the deployment began.
func (a *albTraffic) Counts(ctx context.Context) (old, new rollout.Counts, err error) {
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(a.since), EndTime: aws.Time(a.now().Add(time.Minute).Truncate(time.Minute))}
	for gi, tg := range []string{a.oldTG, a.newTG} {
		for mi, m := range albMetrics {
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("m%d_%d", gi, mi)), ReturnData: aws.Bool(true),
				MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"), Metric: &cwtypes.Metric{
					Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(m),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String(tg)}, {Name: aws.String("LoadBalancer"), Value: aws.String(a.loadBalancer)}},
				}},
			})
		}
	}
	sums := map[string]float64{}
	for {
		out, err := a.cw.GetMetricData(ctx, in)
		if err != nil {
			return old, new, fmt.Errorf("reading the load balancer's metrics (cloudwatch:GetMetricData): %w", err)
		}
		for _, r := range out.MetricDataResults {
			for _, v := range r.Values {
				sums[aws.ToString(r.Id)] += v
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	count := func(g int) rollout.Counts {
		return rollout.Counts{Requests: int64(sums[fmt.Sprintf("m%d_0", g)]), Errors: int64(sums[fmt.Sprintf("m%d_1", g)] + sums[fmt.Sprintf("m%d_2", g)])}
	}
	return count(0), count(1), nil
}
