package tfschema

import (
	"os"
	"strings"
	"testing"
)

// testdata/demo.jsii is a small assembly laid out like the CDKTF bindings'
// (the real ones are 130 MB): provider acme/demo 1.2.0 with resource
// demo_thing (name and the settings block required; rule blocks holding
// filter blocks; `equals`, which the bindings call `equalTo`) and data source
// demo_zones.
func demoSchema(t *testing.T) *Schema {
	t.Helper()
	f, err := os.Open("testdata/demo.jsii")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadJSII(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadJSII(t *testing.T) {
	s := demoSchema(t)
	if s.Provider != "demo" || s.Version != "1.2.0" {
		t.Errorf("provider %q %q, want demo 1.2.0", s.Provider, s.Version)
	}
	thing := s.Resources["demo_thing"]
	if thing == nil || len(s.Resources) != 1 || len(s.DataSources) != 1 || s.DataSources["demo_zones"] == nil {
		t.Fatalf("resources %v, data sources %v", keys(s.Resources), keys(s.DataSources))
	}
	if !thing.Attributes["name"].Required || thing.Attributes["tags"].Required {
		t.Error("name must be required, tags optional")
	}
	if !thing.Blocks["settings"].Required || thing.Blocks["rule"].Required {
		t.Error("settings must be a required block, rule an optional one")
	}
	rule := thing.Blocks["rule"].Block
	if rule.Attributes["equals"] == nil || rule.Attributes["equal_to"] != nil {
		t.Errorf("rule's arguments %v: want the Terraform name equals from the docs link", rule.names())
	}
	if !rule.Blocks["filter"].Block.Attributes["values"].Required {
		t.Error("rule.filter.values must be required")
	}
	if s.Config.Attributes["region"] == nil {
		t.Error("the provider block has no region")
	}
}

func TestReadJSIIRefusesAnAssemblyWithoutResources(t *testing.T) {
	_, err := ReadJSII(strings.NewReader(`{"name":"constructs","types":{}}`))
	if err == nil || !strings.Contains(err.Error(), "holds no Terraform resources") {
		t.Errorf("err = %v", err)
	}
}

const goodThing = `
resource "demo_thing" "a" {
  count      = 2
  name       = "a-${count.index}"
  tags       = { Name = "a" }
  depends_on = [demo_thing.b]
  provider   = demo.west
  settings {
    mode = "fast"
  }
  rule {
    port   = 80
    equals = "x"
    filter {
      values = ["a"]
    }
  }
  dynamic "rule" {
    for_each = [443]
    iterator = p
    content {
      port = p.value
      dynamic "filter" {
        for_each = [1]
        content {
          values = ["b"]
        }
      }
    }
  }
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [tags]
    precondition {
      condition     = true
      error_message = "never"
    }
  }
}

resource "demo_thing" "b" {
  for_each = toset(["x"])
  name     = each.key
  settings = { mode = "slow" } # an object-typed argument may be written as an attribute
}

resource "terraform_data" "guard" {
  input = 1
}

data "demo_zones" "all" {
  state = "available"
  lifecycle {
    postcondition {
      condition     = length(self.names) > 0
      error_message = "none"
    }
  }
}

provider "demo" {
  alias  = "west"
  region = "west"
}

terraform {
  required_providers {
    demo = {
      source  = "acme/demo"
      version = ">= 1.2.0, < 2.0.0"
    }
    other = { source = "acme/other" }
  }
}

locals {
  anything = "goes"
}
`

func check(t *testing.T, src string) []string {
	t.Helper()
	c := NewChecker(demoSchema(t))
	fs, err := c.CheckFile([]byte(src), "main.tf")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func TestAConfigurationThatFitsPasses(t *testing.T) {
	if got := check(t, goodThing); len(got) != 0 {
		t.Errorf("findings on a configuration that fits:\n%s", strings.Join(got, "\n"))
	}
}

func TestWhatDoesNotFitFails(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"misspelt argument", `equals = "x"`, `equal = "x"`,
			`main.tf:13:5: demo_thing.a.rule: unknown argument "equal" (did you mean "equals"?)`},
		{"misspelt top-level argument", `tags       = { Name = "a" }`, `tag = { Name = "a" }`,
			`main.tf:5:3: demo_thing.a: unknown argument "tag" (did you mean "tags"?)`},
		{"missing required argument", `      port = p.value`, ``,
			`demo_thing.a.rule: the required argument "port" is missing`},
		{"missing required block", "  settings = { mode = \"slow\" }", ``,
			`demo_thing.b: the required block "settings" is missing`},
		{"misspelt block in a dynamic block's content", `dynamic "filter"`, `dynamic "filters"`,
			`demo_thing.a.rule: unknown block "filters" (did you mean "filter"?)`},
		{"an argument written as a block", "  tags       = { Name = \"a\" }", "  tags {\n  }",
			`demo_thing.a: "tags" is an argument, not a block: write tags = ...`},
		{"unknown resource type", `resource "demo_thing" "b"`, `resource "demo_thin" "b"`,
			`demo_thin.b: provider demo 1.2.0 has no resource type "demo_thin" (did you mean "demo_thing"?)`},
		{"a data source is not a resource", `data "demo_zones"`, `resource "demo_zones"`,
			`provider demo 1.2.0 has no resource type "demo_zones"`},
		{"resource of a provider without a schema", `resource "demo_thing" "b"`, `resource "other_thing" "b"`,
			`other_thing.b: no schema loaded for provider "other"`},
		{"misspelt argument of Terraform's own resource", `input = 1`, `inputs = 1`,
			`terraform_data.guard: unknown argument "inputs" (did you mean "input"?)`},
		{"misspelt lifecycle argument", `create_before_destroy = true`, `create_before_destroi = true`,
			`demo_thing.a.lifecycle: unknown argument "create_before_destroi" (did you mean "create_before_destroy"?)`},
		{"precondition without a message", `      error_message = "never"`, ``,
			`demo_thing.a.lifecycle.precondition: the required argument "error_message" is missing`},
		{"misspelt provider argument", `  region = "west"`, `  regoin = "west"`,
			`provider demo: unknown argument "regoin" (did you mean "region"?)`},
		{"a version constraint that does not admit the schema's", `">= 1.2.0, < 2.0.0"`, `"~> 1.1.0"`,
			`version "~> 1.1.0" does not admit 1.2.0`},
		{"a version constraint that admits older releases", `">= 1.2.0, < 2.0.0"`, `"~> 1.0"`,
			`version "~> 1.0" admits 1.1.99999, older than 1.2.0`},
		{"no version constraint", `source  = "acme/demo"`, `source = "acme/demo" }
    x = {`, `required_providers.demo: no version constraint`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(goodThing, tc.from) {
				t.Fatalf("the fixture has no %q", tc.from)
			}
			got := check(t, strings.Replace(goodThing, tc.from, tc.to, 1))
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Errorf("findings:\n%s\nwant one with %q", strings.Join(got, "\n"), tc.want)
			}
		})
	}
}
