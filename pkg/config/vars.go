package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// CheckVars checks the environment's vars against the variables the
// Terraform module in moduleDir declares, before any plan: Terraform only
// warns about an undeclared variable, so a misspelt one would silently leave
// production on the default. A value of the wrong kind for a variable's
// declared type (a word for a number, a list for a string) is refused too;
// Terraform's own validation rules run at plan time.
func (e Environment) CheckVars(cfgPath, moduleDir string) error {
	declared, err := declaredVariables(moduleDir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	keys := make([]string, 0, len(e.Vars))
	for k := range e.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ty, ok := declared[k]
		if !ok {
			msg := fmt.Sprintf("%s: environment %q: vars.%s: %s declares no such variable", cfgPath, e.Name, k, moduleDir)
			if s := closest(k, names); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			return fmt.Errorf("%s (the variables are listed in %s)", msg, filepath.Join(moduleDir, "variables.tf"))
		}
		if want := kindMismatch(ty, e.Vars[k]); want != "" {
			return fmt.Errorf("%s: environment %q: vars.%s is %v, but %s declares it as %s", cfgPath, e.Name, k, e.Vars[k], moduleDir, want)
		}
	}
	return nil
}

// declaredVariables reads every variable block of the module's .tf files,
// with its type (cty.DynamicPseudoType when it has none).
func declaredVariables(moduleDir string) (map[string]cty.Type, error) {
	files, err := filepath.Glob(filepath.Join(moduleDir, "*.tf"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("reading the Terraform module's variables: no .tf files in %s (run empctl from the project's root, or pass --dir)", moduleDir)
	}
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}}
	out := map[string]cty.Type{}
	p := hclparse.NewParser()
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, diags := p.ParseHCL(src, path)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parsing %s: %s", path, diags.Error())
		}
		content, _, _ := f.Body.PartialContent(schema)
		for _, b := range content.Blocks {
			attrs, _ := b.Body.JustAttributes()
			ty := cty.DynamicPseudoType
			if a, ok := attrs["type"]; ok {
				if t, diags := typeexpr.TypeConstraint(a.Expr); !diags.HasErrors() {
					ty = t
				}
			}
			out[b.Labels[0]] = ty
		}
	}
	return out, nil
}

// kindMismatch names the declared kind when v (as YAML decoded it) cannot be
// one, else "".
func kindMismatch(ty cty.Type, v any) string {
	switch {
	case ty == cty.DynamicPseudoType:
		return ""
	case ty == cty.Number:
		switch x := v.(type) {
		case int, float64:
			return ""
		case string:
			if _, err := cty.ParseNumberVal(x); err == nil {
				return ""
			}
		}
		return "a number"
	case ty == cty.Bool:
		switch x := v.(type) {
		case bool:
			return ""
		case string:
			if x == "true" || x == "false" {
				return ""
			}
		}
		return "true or false"
	case ty == cty.String:
		switch v.(type) {
		case string, int, float64, bool:
			return ""
		}
		return "a string"
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		if _, ok := v.([]any); ok {
			return ""
		}
		return "a list (" + ty.FriendlyName() + ")"
	case ty.IsMapType() || ty.IsObjectType():
		if _, ok := v.(map[string]any); ok {
			return ""
		}
		return "a map (" + ty.FriendlyName() + ")"
	}
	return ""
}
