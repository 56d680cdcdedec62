package tf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// BackendType returns the backend a configuration declares in its terraform
// block ("local" when it declares none; "cloud" for a cloud block). Override
// files (*_override.tf) win, as they do in Terraform.
func BackendType(moduleDir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(moduleDir, "*.tf"))
	if err != nil {
		return "", err
	}
	// Terraform applies override files after the others.
	sort.SliceStable(files, func(i, j int) bool {
		return !isOverride(files[i]) && isOverride(files[j])
	})
	typ := "local"
	parser := hclparse.NewParser()
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		f, diags := parser.ParseHCL(src, path)
		if diags.HasErrors() {
			return "", fmt.Errorf("reading %s: %s", path, diags.Error())
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, block := range body.Blocks {
			if block.Type != "terraform" {
				continue
			}
			for _, inner := range block.Body.Blocks {
				switch {
				case inner.Type == "backend" && len(inner.Labels) == 1:
					typ = inner.Labels[0]
				case inner.Type == "cloud":
					typ = "cloud"
				}
			}
		}
	}
	return typ, nil
}

func isOverride(path string) bool {
	base := filepath.Base(path)
	return base == "override.tf" || strings.HasSuffix(base, "_override.tf")
}
