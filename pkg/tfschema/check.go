package tfschema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Finding is one way a configuration does not fit its providers' schemas.
type Finding struct {
	Range   hcl.Range
	Message string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", f.Range.Filename, f.Range.Start.Line, f.Range.Start.Column, f.Message)
}

// Checker checks configuration files against the schemas of their providers.
type Checker struct {
	schemas map[string]*Schema // by provider local name
	// Checked counts the resource, data and provider blocks checked.
	Checked int
}

// NewChecker checks against these schemas; a resource type's provider is the
// part of its name before the first "_".
func NewChecker(schemas ...*Schema) *Checker {
	c := &Checker{schemas: map[string]*Schema{"terraform": builtin}}
	for _, s := range schemas {
		c.schemas[s.Provider] = s
	}
	return c
}

// builtin is Terraform's own provider, which has no bindings.
var builtin = &Schema{
	Provider: "terraform",
	Version:  "builtin",
	Config:   NewBlock(),
	Resources: map[string]*Block{
		"terraform_data": {Attributes: map[string]*Attribute{"input": {}, "triggers_replace": {}}, Blocks: map[string]*NestedBlock{}},
	},
	DataSources: map[string]*Block{},
}

// Meta-arguments Terraform itself takes in a resource or data block.
var (
	metaAttributes = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}
	metaBlocks     = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}
	lifecycle      = &Block{
		Attributes: map[string]*Attribute{"create_before_destroy": {}, "prevent_destroy": {}, "ignore_changes": {}, "replace_triggered_by": {}},
		Blocks: map[string]*NestedBlock{
			"precondition":  {Block: condition},
			"postcondition": {Block: condition},
		},
	}
	condition = &Block{
		Attributes: map[string]*Attribute{"condition": {Required: true}, "error_message": {Required: true}},
		Blocks:     map[string]*NestedBlock{},
	}
	providerMeta = map[string]bool{"alias": true, "version": true}
)

// CheckFile checks the resource, data and provider blocks of one file.
func (c *Checker) CheckFile(src []byte, filename string) ([]Finding, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	var out []Finding
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		switch {
		case (b.Type == "resource" || b.Type == "data") && len(b.Labels) == 2:
			out = append(out, c.checkTop(b)...)
		case b.Type == "provider" && len(b.Labels) == 1:
			s, ok := c.schemas[b.Labels[0]]
			if !ok {
				out = append(out, Finding{b.DefRange(), fmt.Sprintf("provider %q: no schema loaded for it", b.Labels[0])})
				continue
			}
			c.Checked++
			out = append(out, checkBody(b.Body, s.Config, "provider "+b.Labels[0], providerMeta, nil)...)
		case b.Type == "terraform":
			out = append(out, c.checkRequiredProviders(b)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Range.Start, out[j].Range.Start
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return out, nil
}

func (c *Checker) checkTop(b *hclsyntax.Block) []Finding {
	c.Checked++
	typ := b.Labels[0]
	what := typ + "." + b.Labels[1]
	kind, table := "resource type", func(s *Schema) map[string]*Block { return s.Resources }
	if b.Type == "data" {
		what = "data." + what
		kind, table = "data source", func(s *Schema) map[string]*Block { return s.DataSources }
	}
	provider, _, _ := strings.Cut(typ, "_")
	s, ok := c.schemas[provider]
	if !ok {
		return []Finding{{b.DefRange(), fmt.Sprintf("%s: no schema loaded for provider %q", what, provider)}}
	}
	schema, ok := table(s)[typ]
	if !ok {
		return []Finding{{b.LabelRanges[0], fmt.Sprintf("%s: provider %s %s has no %s %q%s", what, s.Provider, s.Version, kind, typ, suggest(typ, keys(table(s))))}}
	}
	return checkBody(b.Body, schema, what, metaAttributes, metaBlocks)
}

// checkBody checks one body against its block's schema; meta names the
// meta-arguments allowed here besides the schema's.
func checkBody(body *hclsyntax.Body, schema *Block, path string, metaAttrs, metaBlks map[string]bool) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for name, a := range body.Attributes {
		seen[name] = true
		if metaAttrs[name] {
			continue
		}
		if _, ok := schema.Attributes[name]; ok {
			continue
		}
		if _, ok := schema.Blocks[name]; ok {
			continue // an object-typed argument: a nested attribute in the plugin framework
		}
		out = append(out, Finding{a.NameRange, fmt.Sprintf("%s: unknown argument %q%s", path, name, suggest(name, schema.names()))})
	}
	for _, nb := range body.Blocks {
		name, content := nb.Type, nb.Body
		if nb.Type == "dynamic" && len(nb.Labels) == 1 {
			name = nb.Labels[0]
			content = nil
			for _, inner := range nb.Body.Blocks {
				if inner.Type == "content" {
					content = inner.Body
				}
			}
			if content == nil {
				out = append(out, Finding{nb.DefRange(), fmt.Sprintf("%s: dynamic %q has no content block", path, name)})
			}
		}
		seen[name] = true
		if metaBlks[name] {
			if name == "lifecycle" {
				out = append(out, checkBody(content, lifecycle, path+".lifecycle", nil, nil)...)
			}
			continue
		}
		inner, ok := schema.Blocks[name]
		if !ok {
			msg := fmt.Sprintf("%s: unknown block %q%s", path, name, suggest(name, schema.names()))
			if _, isAttr := schema.Attributes[name]; isAttr {
				msg = fmt.Sprintf("%s: %q is an argument, not a block: write %s = ...", path, name, name)
			}
			out = append(out, Finding{nb.DefRange(), msg})
			continue
		}
		if content != nil {
			out = append(out, checkBody(content, inner.Block, path+"."+name, nil, nil)...)
		}
	}
	var missing []string
	for name, a := range schema.Attributes {
		if a.Required && !seen[name] {
			missing = append(missing, fmt.Sprintf("argument %q", name))
		}
	}
	for name, nb := range schema.Blocks {
		if nb.Required && !seen[name] {
			missing = append(missing, fmt.Sprintf("block %q", name))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		out = append(out, Finding{body.SrcRange, fmt.Sprintf("%s: the required %s is missing", path, m)})
	}
	return out
}

func keys(m map[string]*Block) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the closest known name, if one is close.
func suggest(name string, known []string) string {
	best, bestDist := "", 4
	for _, k := range known {
		if d := levenshtein.Distance(name, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
