package awsenv_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/env"
)

// status lists the backend's revisions that served (tagged by a deploy that
// succeeded), against moto's ECS, with the one the service runs marked live.
func TestStatusListsServedRevisions(t *testing.T) {
	s := newStage(t)
	c := ecs.NewFromConfig(s.f.Config)
	_, err := c.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: aws.String(s.f.TaskDefinitionARN),
		Tags: []ecstypes.Tag{{Key: aws.String(ecsdeploy.ServedTag), Value: aws.String("2026-11-29T10:00:00Z")}}})
	if err != nil {
		t.Fatal(err)
	}
	r := s.empctl(context.Background(), "status", "-o", "json")
	var st env.Status
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, r.out)
	}
	if len(st.Revisions) != 1 || !st.Revisions[0].Live || !strings.HasSuffix(s.f.TaskDefinitionARN, st.Revisions[0].Revision) || st.Revisions[0].Served.Hour() != 10 {
		t.Errorf("revisions %+v, want the service's own, live, served at 10:00", st.Revisions)
	}
	if r := s.empctl(context.Background(), "status"); !strings.Contains(r.out, "Backend releases") {
		t.Errorf("status lacks the backend's releases:\n%s", r.out)
	}
}
