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
// that a deploy registered (its container carries VersionLabel).
func previousRevision(ctx context.Context, c Clients, svc Service, current string) (string, error) {
	below := Revision(current)
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
			td, _, err := describeTaskDefinition(ctx, c, arn)
			if err != nil {
				return "", err
			}
			if ct := container(td, svc.Container); ct != nil && ct.DockerLabels[VersionLabel] != "" {
				return arn, nil
			}
		}
	}
	return "", fmt.Errorf("no ACTIVE revision of %s below %s was registered by a deploy (none has the %s label on container %s): name the revision to roll back to",
		svc.Family, shortTaskDef(current), VersionLabel, svc.Container)
}
