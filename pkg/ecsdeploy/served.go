package ecsdeploy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"
)

// ServedRevision is a task definition revision whose deployment succeeded.
type ServedRevision struct {
	TaskDefinition string // family:revision
	Version        string // the VersionLabel a deploy gave it
	Served         time.Time
}

// ServedRevisions returns the revisions of the family that served (tagged
// ServedTag), the one that served last first (a rollback tags its revision
// again), among its newest look ACTIVE revisions, read at once: status shows
// them, and must stay quick.
func ServedRevisions(ctx context.Context, c Clients, svc Service, look int) ([]ServedRevision, error) {
	out, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(svc.Family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc, MaxResults: aws.Int32(int32(look)),
	})
	if err != nil {
		return nil, fmt.Errorf("listing revisions of %s: %w", svc.Family, err)
	}
	var arns []string
	for _, arn := range out.TaskDefinitionArns {
		// The prefix also matches other families (api-worker for api).
		if strings.HasPrefix(shortTaskDef(arn), svc.Family+":") {
			arns = append(arns, arn)
		}
	}
	found := make([]*ServedRevision, len(arns))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(5)
	for i, arn := range arns {
		g.Go(func() error {
			td, tags, err := describeTaskDefinition(gctx, c, arn)
			if err != nil {
				return err
			}
			for _, t := range tags {
				if aws.ToString(t.Key) != ServedTag {
					continue
				}
				r := &ServedRevision{TaskDefinition: shortTaskDef(arn)}
				r.Served, _ = time.Parse(time.RFC3339, aws.ToString(t.Value))
				if ct := container(td, svc.Container); ct != nil {
					r.Version = ct.DockerLabels[VersionLabel]
				}
				found[i] = r
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var served []ServedRevision
	for _, r := range found {
		if r != nil {
			served = append(served, *r)
		}
	}
	slices.SortStableFunc(served, func(a, b ServedRevision) int { return b.Served.Compare(a.Served) })
	return served, nil
}
