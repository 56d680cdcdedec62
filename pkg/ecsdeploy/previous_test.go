package ecsdeploy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/ecsdeploy/ecsfake"
)

// A deploy the circuit breaker rejected registered its revision all the same:
// a rollback must pass over it to the newest revision that served, and every
// completed rollout marks its revision as served.
func TestRollbackPassesOverARejectedRevision(t *testing.T) {
	f := ecsfake.New(t, true)
	served := func(arn string) {
		t.Helper()
		_, err := f.Client().TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(arn),
			Tags: []types.Tag{{Key: aws.String(ecsdeploy.ServedTag), Value: aws.String("2026-11-29T10:00:00Z")}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.AddTaskDefinition(1, image+strings.Repeat("1", 64), "v1")
	td2 := f.AddTaskDefinition(2, image+strings.Repeat("2", 64), "v2")
	f.AddTaskDefinition(3, image+strings.Repeat("3", 64), "v3") // rolled back by the circuit breaker: never tagged
	td4 := f.AddTaskDefinition(4, image+strings.Repeat("4", 64), "v4")
	served(td2)
	served(td4)
	f.SetService(td4, 3)
	f.Script(1, ecsfake.Settle())
	var r recorder
	res, err := ecsdeploy.Rollback(t.Context(), clients(f), svc, 0, r.opts(time.Hour))
	if err != nil || res.Outcome != ecsdeploy.Completed || res.To != td2 {
		r.log(t)
		t.Fatalf("Rollback = %+v, %v; want completed on %s, not the rejected revision 3", res, err, td2)
	}
	// The rollback's own revision is tagged as served again, with a new time.
	var when string
	for _, tag := range f.Tags(td2) {
		if aws.ToString(tag.Key) == ecsdeploy.ServedTag {
			when = aws.ToString(tag.Value)
		}
	}
	if when == "" || when == "2026-11-29T10:00:00Z" {
		t.Errorf("%s's %s tag after the rollback: %q", td2, ecsdeploy.ServedTag, when)
	}
}
