// Package tf drives the Terraform CLI (or OpenTofu) through terraform-exec:
// finding or installing the binary, init, a saved plan and its summary, apply of
// exactly that plan, and the outputs. It never prints: Terraform's own output
// goes to the writers the caller gives.
package tf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/hashicorp/go-version"
	install "github.com/hashicorp/hc-install"
	"github.com/hashicorp/hc-install/fs"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/releases"
	"github.com/hashicorp/hc-install/src"
)

// PinnedVersion is the Terraform release --install-terraform installs: the last
// MPL-licensed one, and the one CI builds.
const PinnedVersion = "1.5.7"

// ErrNotFound means neither terraform nor tofu is on PATH.
var ErrNotFound = errors.New("no Terraform binary found: neither terraform nor tofu is on PATH.\n" +
	"Install one of them (Terraform " + PinnedVersion + ": `go install github.com/hashicorp/terraform@v" + PinnedVersion + "`, " +
	"or OpenTofu: https://opentofu.org/docs/intro/install/), pass --terraform-path, " +
	"or rerun with --install-terraform to download Terraform " + PinnedVersion + " from releases.hashicorp.com")

// FindBinary returns the Terraform binary to use: explicit if given, else
// terraform or tofu from PATH, in that order.
func FindBinary(explicit string) (string, error) {
	if explicit != "" {
		path, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("terraform path %q is not an executable file: %w", explicit, err)
		}
		return path, nil
	}
	for _, name := range []string{"terraform", "tofu"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNotFound
}

// Install returns Terraform PinnedVersion from dir, downloading it there first
// (with its checksum and signature verified by hc-install) if it is not there yet.
func Install(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("installing Terraform: %w", err)
	}
	v := version.Must(version.NewVersion(PinnedVersion))
	path, err := install.NewInstaller().Ensure(ctx, []src.Source{
		&fs.ExactVersion{Product: product.Terraform, Version: v, ExtraPaths: []string{dir}},
		&releases.ExactVersion{Product: product.Terraform, Version: v, InstallDir: dir},
	})
	if err != nil {
		return "", fmt.Errorf("installing Terraform %s into %s: %w", PinnedVersion, dir, err)
	}
	return path, nil
}
