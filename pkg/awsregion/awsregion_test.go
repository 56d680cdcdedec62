package awsregion

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The list is the SDK's: read partitions.json from the aws-sdk-go-v2 module
// that go.mod requires (in the module cache once the build has run).
func TestRegionsAreTheSDKs(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Fatalf("locating the SDK module: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		t.Fatalf("reading the SDK's partitions (moved in a new SDK version? update this test and the list): %v", err)
	}
	var doc struct {
		Partitions []struct {
			Regions map[string]json.RawMessage `json:"regions"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range doc.Partitions {
		for r := range p.Regions {
			if !strings.HasPrefix(r, "aws-") { // aws-global and the like are not regions one deploys to
				want = append(want, r)
			}
		}
	}
	slices.Sort(want)
	if !slices.Equal(Regions, want) {
		t.Errorf("Regions differ from the SDK's partitions.json:\n got %q\nwant %q", Regions, want)
	}
}

func TestCheck(t *testing.T) {
	if err := Check("eu-west-1"); err != nil {
		t.Errorf("eu-west-1: %v", err)
	}
	for in, want := range map[string]string{
		"eu-wset-1":  `did you mean "eu-west-1"?`,
		"us-east-9":  `did you mean "us-east-1"?`,
		"EU-WEST-1":  `did you mean "eu-west-1"?`,
		"moon-base1": "e.g. eu-west-1",
	} {
		if err := Check(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%q) = %v, want %q", in, err, want)
		}
	}
}
