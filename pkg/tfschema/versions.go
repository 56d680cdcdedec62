package tfschema

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// checkRequiredProviders makes sure the schema checked is the one in use: the
// version constraint of each provider with a schema must admit the schema's
// version and nothing older, so no apply can pick a release that lacks what
// the check let pass.
func (c *Checker) checkRequiredProviders(tf *hclsyntax.Block) []Finding {
	var out []Finding
	for _, rp := range tf.Body.Blocks {
		if rp.Type != "required_providers" {
			continue
		}
		for name, a := range rp.Body.Attributes {
			s, ok := c.schemas[name]
			if !ok {
				continue
			}
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() || !v.Type().IsObjectType() || !v.Type().HasAttribute("version") {
				out = append(out, Finding{a.NameRange, fmt.Sprintf("required_providers.%s: no version constraint; the schema checked is %s %s", name, s.Provider, s.Version)})
				continue
			}
			cv := v.GetAttr("version")
			if cv.Type() != cty.String || cv.IsNull() {
				out = append(out, Finding{a.NameRange, fmt.Sprintf("required_providers.%s: version is not a string", name)})
				continue
			}
			if msg := constraintMismatch(cv.AsString(), s.Version); msg != "" {
				out = append(out, Finding{a.SrcRange, fmt.Sprintf("required_providers.%s: %s", name, msg)})
			}
		}
	}
	return out
}

// constraintMismatch says why constraint does not start at schemaVersion, or "".
func constraintMismatch(constraint, schemaVersion string) string {
	cs, err := version.NewConstraint(constraint)
	if err != nil {
		return fmt.Sprintf("version %q: %v", constraint, err)
	}
	sv, err := version.NewVersion(schemaVersion)
	if err != nil {
		return fmt.Sprintf("the schema's version %q: %v", schemaVersion, err)
	}
	if !cs.Check(sv) {
		return fmt.Sprintf("version %q does not admit %s, the version whose schema is checked: pin the version the schema is of, or fetch the schema of the pinned one", constraint, schemaVersion)
	}
	if prev := previous(sv); prev != nil && cs.Check(prev) {
		return fmt.Sprintf("version %q admits %s, older than %s, the version whose schema is checked: make %s its lower bound (\">= %s\")", constraint, prev, schemaVersion, schemaVersion, schemaVersion)
	}
	return ""
}

// previous is the newest version that could come before v, or nil for 0.0.0.
func previous(v *version.Version) *version.Version {
	seg := v.Segments()
	for len(seg) < 3 {
		seg = append(seg, 0)
	}
	const big = 99999
	var s string
	switch {
	case seg[2] > 0:
		s = fmt.Sprintf("%d.%d.%d", seg[0], seg[1], seg[2]-1)
	case seg[1] > 0:
		s = fmt.Sprintf("%d.%d.%d", seg[0], seg[1]-1, big)
	case seg[0] > 0:
		s = fmt.Sprintf("%d.%d.%d", seg[0]-1, big, big)
	default:
		return nil
	}
	p, err := version.NewVersion(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return p
}
