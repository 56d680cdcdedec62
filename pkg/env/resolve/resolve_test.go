package resolve

import (
	"strings"
	"testing"
)

func TestEnvironment(t *testing.T) {
	e, err := Environment("local", t.TempDir())
	if err != nil || e.Name() != "local" {
		t.Fatalf("local: %v, %v", e, err)
	}
	if _, err := Environment("prod", "."); err == nil || !strings.Contains(err.Error(), `environment "prod"`) {
		t.Fatalf("prod: %v, want a clear error", err)
	}
}
