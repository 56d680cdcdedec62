package ecsdeploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// previousRevision is the newest ACTIVE revision of the family below current
// whose deployment succeeded (ServedTag): a revision the circuit breaker
// rejected never served and is passed over. Where no revision carries the tag
// (deploys from before it), the newest one a deploy registered (its container
// carries VersionLabel).
func previousRevision(ctx context.Context, c Clients, svc Service, current string) (string, error) {
	below := Revision(current)
	labelled := "" // the newest revision a deploy registered, served or not
	// The tag is trusted once the running revision carries it; before that
	// (revisions deployed before empctl tagged them), the label decides.
	_, curTags, err := describeTaskDefinition(ctx, c, current)
	if err != nil {
		return "", err
	}
	tagging := hasTag(curTags, ServedTag)
	const maxLooks = 25 // revisions described before giving up
	looked := 0
	p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(svc.Family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc,
	})
	for p.HasMorePages() && looked < maxLooks {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing revisions of %s: %w", svc.Family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			// The prefix also matches other families (api-worker for api).
			if !strings.HasPrefix(shortTaskDef(arn), svc.Family+":") || (below > 0 && Revision(arn) >= below) {
				continue
			}
			if looked++; looked > maxLooks {
				break
			}
			td, tags, err := describeTaskDefinition(ctx, c, arn)
			if err != nil {
				return "", err
			}
			if hasTag(tags, ServedTag) {
				return arn, nil
			}
			if ct := container(td, svc.Container); ct != nil && ct.DockerLabels[VersionLabel] != "" && labelled == "" {
				labelled = arn
			}
		}
	}
	if labelled != "" && !tagging {
		return labelled, nil
	}
	return "", fmt.Errorf("no ACTIVE revision of %s below %s served (none is tagged %s after a successful deploy): name the revision to roll back to with --to",
		svc.Family, shortTaskDef(current), ServedTag)
}

func hasTag(tags []types.Tag, key string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return true
		}
	}
	return false
}
