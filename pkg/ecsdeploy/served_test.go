package ecsdeploy_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
)

// The recent releases status lists: the revisions that served, the one that
// served last first; one the circuit breaker rejected is not among them.
func TestServedRevisions(t *testing.T) {
	f := ecsfake.New(t, true)
	served := func(arn, when string) {
		t.Helper()
		_, err := f.Client().TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(arn),
			Tags: []types.Tag{{Key: aws.String(ecsdeploy.ServedTag), Value: aws.String(when)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	td1 := f.AddTaskDefinition(1, image+strings.Repeat("1", 64), "v1")
	td2 := f.AddTaskDefinition(2, image+strings.Repeat("2", 64), "v2")
	f.AddTaskDefinition(3, image+strings.Repeat("3", 64), "v3") // rejected: never tagged
	served(td1, "2026-11-29T10:00:00Z")
	served(td2, "2026-11-29T09:00:00Z") // served before v1's rollback
	got, err := ecsdeploy.ServedRevisions(t.Context(), clients(f), svc, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Version != "v1" || got[1].Version != "v2" || got[0].Served.Hour() != 10 || !strings.HasSuffix(got[0].TaskDefinition, ":1") {
		t.Errorf("served revisions %+v, want v1 (served last) then v2", got)
	}
}
