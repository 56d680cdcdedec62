package tfschema

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The parts of a jsii assembly the schema is read from.
type jsiiAssembly struct {
	Name  string              `json:"name"`
	Types map[string]jsiiType `json:"types"`
}

type jsiiType struct {
	Kind        string     `json:"kind"`
	Base        string     `json:"base"`
	Datatype    bool       `json:"datatype"`
	Interfaces  []string   `json:"interfaces"`
	Docs        jsiiDocs   `json:"docs"`
	Initializer *jsiiInit  `json:"initializer"`
	Properties  []jsiiProp `json:"properties"`
}

type jsiiDocs struct {
	Summary string `json:"summary"`
	Remarks string `json:"remarks"`
}

type jsiiInit struct {
	Parameters []struct {
		Name string      `json:"name"`
		Type jsiiTypeRef `json:"type"`
	} `json:"parameters"`
}

type jsiiProp struct {
	Name     string      `json:"name"`
	Optional bool        `json:"optional"`
	Static   bool        `json:"static"`
	Type     jsiiTypeRef `json:"type"`
	Docs     jsiiDocs    `json:"docs"`
}

type jsiiTypeRef struct {
	Primitive  string `json:"primitive"`
	FQN        string `json:"fqn"`
	Collection *struct {
		Kind        string      `json:"kind"`
		ElementType jsiiTypeRef `json:"elementtype"`
	} `json:"collection"`
	Union *struct {
		Types []jsiiTypeRef `json:"types"`
	} `json:"union"`
}

var (
	// A class's summary links the registry page of what it represents:
	// {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/cloudfront_vpc_origin aws_cloudfront_vpc_origin}
	classLinkRE = regexp.MustCompile(`registry\.terraform\.io/providers/[^/]+/([^/]+)/([^/]+)/docs(?:/(resources|data-sources)/\S+)? ([a-z0-9_]+)\}`)
	// A property's docs link its argument by its Terraform name (the
	// camelCase property name is sometimes changed: `equals` is `equalTo`).
	propLinkRE = regexp.MustCompile(`#([A-Za-z0-9_]+) [A-Za-z0-9]+#[A-Za-z0-9_]+\}`)
)

// ReadJSII reads a provider's schema from a CDKTF bindings jsii assembly.
func ReadJSII(r io.Reader) (*Schema, error) {
	var asm jsiiAssembly
	if err := json.NewDecoder(r).Decode(&asm); err != nil {
		return nil, fmt.Errorf("reading the jsii assembly: %w", err)
	}
	s := &Schema{Resources: map[string]*Block{}, DataSources: map[string]*Block{}}
	for fqn, t := range asm.Types {
		if t.Kind != "class" {
			continue
		}
		var kind string
		switch t.Base {
		case "cdktf.TerraformResource":
			kind = "resources"
		case "cdktf.TerraformDataSource":
			kind = "data-sources"
		case "cdktf.TerraformProvider":
			kind = "provider"
		default:
			continue
		}
		m := classLinkRE.FindStringSubmatch(t.Docs.Summary)
		if m == nil {
			return nil, fmt.Errorf("%s: no registry link in its summary %q", fqn, t.Docs.Summary)
		}
		provider, version, name := m[1], m[2], m[4]
		if s.Provider == "" {
			s.Provider, s.Version = provider, version
		} else if s.Provider != provider || s.Version != version {
			return nil, fmt.Errorf("%s: provider %s %s, but the assembly's others are %s %s", fqn, provider, version, s.Provider, s.Version)
		}
		cfg := configFQN(t)
		if cfg == "" {
			return nil, fmt.Errorf("%s: its constructor takes no config", fqn)
		}
		b, err := readBlock(asm.Types, cfg, 0)
		if err != nil {
			return nil, err
		}
		switch kind {
		case "resources":
			s.Resources[name] = b
		case "data-sources":
			s.DataSources[name] = b
		default:
			s.Config = b
		}
	}
	if s.Provider == "" || len(s.Resources) == 0 {
		return nil, fmt.Errorf("the jsii assembly %q holds no Terraform resources: is it a CDKTF provider's?", asm.Name)
	}
	if s.Config == nil {
		s.Config = NewBlock()
	}
	return s, nil
}

func configFQN(t jsiiType) string {
	if t.Initializer == nil {
		return ""
	}
	for _, p := range t.Initializer.Parameters {
		if p.Name == "config" {
			return p.Type.FQN
		}
	}
	return ""
}

// readBlock builds the block of a struct (a datatype interface) and of the
// structs it extends within the assembly.
func readBlock(types map[string]jsiiType, fqn string, depth int) (*Block, error) {
	if depth > 64 {
		return nil, fmt.Errorf("%s: nested more than 64 deep", fqn)
	}
	t, ok := types[fqn]
	if !ok {
		return nil, fmt.Errorf("%s is not in the assembly", fqn)
	}
	b := NewBlock()
	for _, parent := range t.Interfaces {
		if _, local := types[parent]; !local {
			continue // cdktf.TerraformMetaArguments: count, for_each, ... (the checker knows them)
		}
		pb, err := readBlock(types, parent, depth+1)
		if err != nil {
			return nil, err
		}
		for n, a := range pb.Attributes {
			b.Attributes[n] = a
		}
		for n, nb := range pb.Blocks {
			b.Blocks[n] = nb
		}
	}
	for _, p := range t.Properties {
		if p.Static {
			continue
		}
		name := tfName(p)
		if nested := structFQN(types, p.Type); nested != "" {
			nb, err := readBlock(types, nested, depth+1)
			if err != nil {
				return nil, err
			}
			b.Blocks[name] = &NestedBlock{Required: !p.Optional, Block: nb}
			continue
		}
		b.Attributes[name] = &Attribute{Required: !p.Optional}
	}
	return b, nil
}

// tfName is the property's Terraform name: from its docs' registry link, else
// its camelCase name in snake_case.
func tfName(p jsiiProp) string {
	if m := propLinkRE.FindStringSubmatch(p.Docs.Summary + " " + p.Docs.Remarks); m != nil {
		return m[1]
	}
	var sb strings.Builder
	for _, r := range p.Name {
		if r >= 'A' && r <= 'Z' {
			sb.WriteByte('_')
			r += 'a' - 'A'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// structFQN returns the struct a property holds (directly, in a list or set,
// or in a union with cdktf.IResolvable), or "" for a primitive or a map.
func structFQN(types map[string]jsiiType, ref jsiiTypeRef) string {
	switch {
	case ref.FQN != "":
		if t, ok := types[ref.FQN]; ok && t.Kind == "interface" && t.Datatype {
			return ref.FQN
		}
	case ref.Collection != nil && ref.Collection.Kind == "array":
		return structFQN(types, ref.Collection.ElementType)
	case ref.Union != nil:
		for _, u := range ref.Union.Types {
			if f := structFQN(types, u); f != "" {
				return f
			}
		}
	}
	return ""
}
