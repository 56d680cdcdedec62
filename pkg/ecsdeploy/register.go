package ecsdeploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/empctl/empctl/pkg/ecsdeploy/internal/wire"
)

// Registered is a task definition revision Register created.
type Registered struct {
	ARN      string `json:"arn"`
	Revision int    `json:"revision"`
	BasedOn  string `json:"basedOn"` // the revision it copies
	Image    string `json:"image"`
	Version  string `json:"version"`
}

// Register registers a new revision of svc.Family from the family's latest
// ACTIVE revision (where Terraform's changes to CPU, memory, environment land;
// the service itself ignores them), replacing only svc.Container's image with
// image, pinned by digest, labelled with version. Every other field and the
// tags are kept.
func Register(ctx context.Context, c Clients, svc Service, image, version string) (Registered, error) {
	base, in, err := newRevision(ctx, c, svc, image, version)
	if err != nil {
		return Registered{}, err
	}
	out, err := c.ECS.RegisterTaskDefinition(ctx, in)
	var ad *types.AccessDeniedException
	if errors.As(err, &ad) && len(in.Tags) > 0 {
		return Registered{}, fmt.Errorf("registering a revision of %s: %w: the revision carries the family's tags (Terraform's default_tags), "+
			"and ECS authorizes tags given on creation as ecs:TagResource: allow ecs:TagResource on the task definitions of %s "+
			"to the identity that deploys (the deploy permissions are listed in terraform/README.md)", svc.Family, err, svc.Family)
	}
	if err != nil {
		return Registered{}, fmt.Errorf("registering a revision of %s: %w", svc.Family, err)
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	return Registered{ARN: arn, Revision: int(out.TaskDefinition.Revision), BasedOn: base, Image: image, Version: version}, nil
}

func newRevision(ctx context.Context, c Clients, svc Service, image, version string) (string, *ecs.RegisterTaskDefinitionInput, error) {
	if err := checkPinned(image); err != nil {
		return "", nil, err
	}
	latest, tags, err := describeTaskDefinition(ctx, c, svc.Family)
	if err != nil {
		return "", nil, err
	}
	in := registerInput(latest, tags)
	if err := setImage(in, svc.Container, image, version); err != nil {
		return "", nil, err
	}
	return aws.ToString(latest.TaskDefinitionArn), in, nil
}

// Planned is what Register and Deploy would change, computed without changing
// anything.
type Planned struct {
	Service string `json:"service"`
	Running string `json:"running"` // the task definition the service runs
	BasedOn string `json:"basedOn"` // the family's latest revision the new one copies
	Image   string `json:"image"`
	Diff    string `json:"diff"` // unified diff, running → new, of their JSON; empty when equal
}

// Plan computes the new revision as Register would and diffs it against the
// task definition the service runs, both as the JSON ECS accepts.
func Plan(ctx context.Context, c Clients, svc Service, image, version string) (Planned, error) {
	s, err := describeService(ctx, c, svc)
	if err != nil {
		return Planned{}, err
	}
	base, in, err := newRevision(ctx, c, svc, image, version)
	if err != nil {
		return Planned{}, err
	}
	runningARN := aws.ToString(s.TaskDefinition)
	running, tags, err := describeTaskDefinition(ctx, c, runningARN)
	if err != nil {
		return Planned{}, err
	}
	before, err := wire.Indented(registerInput(running, tags))
	if err != nil {
		return Planned{}, err
	}
	after, err := wire.Indented(in)
	if err != nil {
		return Planned{}, err
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(before), B: difflib.SplitLines(after),
		FromFile: shortTaskDef(runningARN) + " (running)",
		ToFile:   svc.Family + ":new (from " + shortTaskDef(base) + ")",
		Context:  3,
	})
	if err != nil {
		return Planned{}, fmt.Errorf("diffing task definitions: %w", err)
	}
	return Planned{Service: svc.Name, Running: runningARN, BasedOn: base, Image: image, Diff: diff}, nil
}
