// Package tfschema checks Terraform configurations against a provider's
// schema without the provider binary: argument and block names, nesting and
// required arguments of every resource, data source and provider block.
//
// The schema is read from the provider's prebuilt CDKTF bindings (the jsii
// assembly, `package/.jsii` in `@cdktf/provider-<name>` on npm), which are
// generated from `terraform providers schema -json` of one provider version.
package tfschema

import "sort"

// Schema is what one provider version accepts.
type Schema struct {
	Provider    string // local name, e.g. "aws"
	Version     string // e.g. "6.25.0"
	Config      *Block // the provider block
	Resources   map[string]*Block
	DataSources map[string]*Block
}

// Block is the body of a resource, data source, provider or nested block.
type Block struct {
	Attributes map[string]*Attribute
	Blocks     map[string]*NestedBlock
}

// Attribute is an argument written `name = value`.
type Attribute struct {
	Required bool
}

// NestedBlock is an argument of object type. The SDK's nested blocks and the
// plugin framework's nested attributes look alike in the bindings, so the
// checker accepts either `name { ... }` or `name = { ... }` for it.
type NestedBlock struct {
	Required bool
	Block    *Block
}

// NewBlock returns an empty block.
func NewBlock() *Block {
	return &Block{Attributes: map[string]*Attribute{}, Blocks: map[string]*NestedBlock{}}
}

func (b *Block) names() []string {
	var out []string
	for n := range b.Attributes {
		out = append(out, n)
	}
	for n := range b.Blocks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
