package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteOpenErrorSaysWhatToDo: a path that cannot be created (here a
// directory that is a file, which stops root too) names the way out.
func TestSQLiteOpenErrorSaysWhatToDo(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(context.Background(), Target{Driver: "sqlite", DSN: filepath.Join(file, "empctl.db")})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL=sqlite://PATH") {
		t.Fatalf("Open: %v, want a hint about DATABASE_URL", err)
	}
}
