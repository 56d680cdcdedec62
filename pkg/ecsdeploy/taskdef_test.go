package ecsdeploy

import (
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// registerInput copies by field name. This pins which fields it drops: if an
// SDK upgrade adds a writable field under another name or type, or a new
// read-only one, this test says so before a rollout silently loses it.
func TestRegisterInputFields(t *testing.T) {
	inType, tdType := reflect.TypeOf(ecs.RegisterTaskDefinitionInput{}), reflect.TypeOf(types.TaskDefinition{})
	var notInTD, readOnly []string
	for i := range inType.NumField() {
		f := inType.Field(i)
		if !f.IsExported() {
			continue
		}
		g, ok := tdType.FieldByName(f.Name)
		switch {
		case !ok:
			notInTD = append(notInTD, f.Name)
		case g.Type != f.Type:
			t.Errorf("field %s is %v in the request and %v in the task definition: registerInput would drop it", f.Name, f.Type, g.Type)
		}
	}
	for i := range tdType.NumField() {
		if f := tdType.Field(i); f.IsExported() {
			if _, ok := inType.FieldByName(f.Name); !ok {
				readOnly = append(readOnly, f.Name)
			}
		}
	}
	if want := []string{"Tags"}; !slices.Equal(notInTD, want) {
		t.Errorf("request fields the task definition lacks = %v, want %v (the tags come from DescribeTaskDefinition's include)", notInTD, want)
	}
	slices.Sort(readOnly)
	want := []string{"Compatibilities", "DeleteRequestedAt", "DeregisteredAt", "RegisteredAt", "RegisteredBy", "RequiresAttributes", "Revision", "Status", "TaskDefinitionArn"}
	if !slices.Equal(readOnly, want) {
		t.Errorf("task definition fields not copied = %v, want the read-only %v", readOnly, want)
	}
}

func TestCheckPinned(t *testing.T) {
	for image, ok := range map[string]bool{
		"repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": true,
		"repo:v1":        false,
		"repo@sha256:ab": false,
		"repo":           false,
	} {
		if err := checkPinned(image); (err == nil) != ok {
			t.Errorf("checkPinned(%q) = %v", image, err)
		}
	}
}

func TestHealthByAZ(t *testing.T) {
	task := func(ip, az string) types.Task {
		return types.Task{AvailabilityZone: &az, Attachments: []types.Attachment{{Details: []types.KeyValuePair{{Name: ptr("privateIPv4Address"), Value: &ip}}}}}
	}
	got := healthByAZ(map[string]elbTarget{
		"10.0.1.5": {state: "healthy"},
		"10.0.1.6": {state: "draining"},
		"10.0.2.5": {state: "initial"},
		"10.0.3.5": {state: "unhealthy"},
		"10.0.3.6": {state: "healthy", az: "us-east-1c"}, // the target group knows its zone
		"10.9.9.9": {state: "unused"},
	}, []types.Task{task("10.0.1.5", "us-east-1a"), task("10.0.1.6", "us-east-1a"), task("10.0.2.5", "us-east-1b"), task("10.0.3.5", "us-east-1c")})
	want := []AZHealth{
		{AZ: "unknown", Other: 1},
		{AZ: "us-east-1a", Healthy: 1, Draining: 1},
		{AZ: "us-east-1b", Initial: 1},
		{AZ: "us-east-1c", Healthy: 1, Unhealthy: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("healthByAZ = %+v, want %+v", got, want)
	}
}

func ptr[T any](v T) *T { return &v }
