package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvironment(t *testing.T) {
	dir := t.TempDir()
	e, err := Environment("local", dir)
	if err != nil || e.Name() != "local" {
		t.Fatalf("local: %v, %v", e, err)
	}

	// An environment empctl.yaml does not define: say so and how to fix it.
	if _, err := Environment("prod", dir); err == nil || !strings.Contains(err.Error(), `"prod" is not defined`) {
		t.Fatalf("undefined prod: %v, want a not-defined error", err)
	}

	// A defined AWS environment: say what works and what does not yet.
	yaml := "environments:\n  prod:\n    region: eu-west-1\n"
	if err := os.WriteFile(filepath.Join(dir, "empctl.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Environment("prod", dir); err == nil || !strings.Contains(err.Error(), "not implemented for AWS yet") {
		t.Fatalf("defined prod: %v, want a not-implemented error", err)
	}
}
