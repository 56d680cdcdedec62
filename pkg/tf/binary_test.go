package tf_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/tf"
)

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	if _, err := tf.FindBinary(""); !errors.Is(err, tf.ErrNotFound) {
		t.Fatalf("FindBinary() with empty PATH: %v", err)
	}
	if !strings.Contains(tf.ErrNotFound.Error(), "--install-terraform") || !strings.Contains(tf.ErrNotFound.Error(), "--terraform-path") {
		t.Errorf("ErrNotFound does not say what to do: %v", tf.ErrNotFound)
	}

	// tofu is found when terraform is not.
	tofu := filepath.Join(dir, "tofu")
	if err := os.WriteFile(tofu, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := tf.FindBinary(""); err != nil || got != tofu {
		t.Errorf("FindBinary() = %q, %v; want %q", got, err, tofu)
	}

	if _, err := tf.FindBinary(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("FindBinary(missing) error = %v", err)
	}
	if got, err := tf.FindBinary(tofu); err != nil || got != tofu {
		t.Errorf("FindBinary(explicit) = %q, %v", got, err)
	}
}

func TestBackendType(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"none":     {map[string]string{"main.tf": `resource "terraform_data" "x" {}`}, "local"},
		"local":    {map[string]string{"versions.tf": "terraform {\n  backend \"local\" {}\n}\n"}, "local"},
		"s3":       {map[string]string{"versions.tf": "terraform {\n  backend \"s3\" {}\n}\n"}, "s3"},
		"cloud":    {map[string]string{"versions.tf": "terraform {\n  cloud {}\n}\n"}, "cloud"},
		"override": {map[string]string{"versions.tf": "terraform {\n  backend \"local\" {}\n}\n", "backend_override.tf": "terraform {\n  backend \"s3\" {}\n}\n"}, "s3"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := tf.BackendType(dir)
			if err != nil || got != tc.want {
				t.Errorf("BackendType() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestBackendTypeOfTheRealModule(t *testing.T) {
	got, err := tf.BackendType("../../terraform")
	if err != nil || got != "local" {
		t.Errorf("terraform/ backend = %q, %v; want local (empctl points it at .empctl/<env>/)", got, err)
	}
}
