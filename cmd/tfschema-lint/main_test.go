package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The entry point `make lint` runs fails on a misspelt argument and passes
// the same module spelt right (schema: pkg/tfschema's small fixture).
func TestRun(t *testing.T) {
	schemas := t.TempDir()
	fixture, err := os.ReadFile("../../pkg/tfschema/testdata/demo.jsii")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(schemas, "demo.jsii"), fixture, 0o644); err != nil {
		t.Fatal(err)
	}
	module := func(arg string) string {
		dir := t.TempDir()
		src := "resource \"demo_thing\" \"a\" {\n  " + arg + " = \"a\"\n  settings {}\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := run(schemas, module("name")); err != nil {
		t.Errorf("a module that fits: %v", err)
	}
	if err := run(schemas, module("nam")); err == nil || !strings.Contains(err.Error(), "2 findings") {
		t.Errorf("a misspelt argument: err = %v, want 2 (the misspelt one and the name it misses)", err)
	}
	if err := run(t.TempDir(), module("name")); err == nil || !strings.Contains(err.Error(), ".ci/lib/32-tfschema.sh") {
		t.Errorf("no schemas: err = %v, want it to name the step that fetches them", err)
	}
}
