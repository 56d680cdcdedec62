// Command tfschema-lint checks a Terraform module's resource, data and
// provider blocks against the schemas of the provider versions it pins, read
// from CDKTF bindings (see pkg/tfschema): `make lint` runs it on terraform/.
//
//	tfschema-lint -schemas /opt/empctl/tfschema terraform/
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/empctl/empctl/pkg/tfschema"
)

func main() {
	dir := flag.String("schemas", "/opt/empctl/tfschema", "folder of provider schemas (*.jsii, from .ci/lib/32-tfschema.sh)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: tfschema-lint [-schemas DIR] MODULE_DIR")
		os.Exit(2)
	}
	if err := run(*dir, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "tfschema-lint:", err)
		os.Exit(1)
	}
}

func run(schemaDir, moduleDir string) error {
	paths, _ := filepath.Glob(filepath.Join(schemaDir, "*.jsii"))
	if len(paths) == 0 {
		return fmt.Errorf("no provider schemas in %s: run `bash .ci/lib/32-tfschema.sh` (it fetches them)", schemaDir)
	}
	var schemas []*tfschema.Schema
	var names []string
	for _, p := range paths {
		s, err := readSchema(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		schemas = append(schemas, s)
		names = append(names, s.Provider+" "+s.Version)
	}
	c := tfschema.NewChecker(schemas...)
	files, _ := filepath.Glob(filepath.Join(moduleDir, "*.tf"))
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("no .tf files in %s", moduleDir)
	}
	var findings []tfschema.Finding
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fs, err := c.CheckFile(src, p)
		if err != nil {
			return err
		}
		findings = append(findings, fs...)
	}
	for _, f := range findings {
		fmt.Println(f)
	}
	if len(findings) > 0 {
		return fmt.Errorf("%d findings in %s against %s", len(findings), moduleDir, strings.Join(names, ", "))
	}
	fmt.Printf("tfschema-lint: %d blocks in %s fit %s\n", c.Checked, moduleDir, strings.Join(names, ", "))
	return nil
}

func readSchema(path string) (*tfschema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read only
	return tfschema.ReadJSII(f)
}
