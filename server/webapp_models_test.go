package server

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// webappAPI is where the webapp keeps its API models.
const webappAPI = "../webapp/src/app/core/api/models.ts"

// webappModels maps each model of models.ts to the schema it stands for; a
// new model must be added here, so it is checked too.
var webappModels = map[string]string{
	"User":          "OwnProfile",
	"PublicProfile": "PublicProfile",
	"SignUpRequest": "SignUpRequest",
	"LoginResponse": "LoginResponse",
	"ProfileUpdate": "ProfileUpdate",
	"VersionInfo":   "Version",
}

// requests are sent by the app: it must send every required field.
var requests = []string{"SignUpRequest", "ProfileUpdate"}

type tsField struct {
	name, typ string
	optional  bool
}

var (
	tsInterface = regexp.MustCompile(`(?s)export interface (\w+) \{(.*?)\n\}`)
	tsFieldRe   = regexp.MustCompile(`(?m)^\s+(\w+)(\??):\s*([^;]+);`)
	tsPartial   = regexp.MustCompile(`export type (\w+) = Partial<Pick<(\w+), ([^>]+)>>;`)
	tsOtherType = regexp.MustCompile(`export type (\w+) =`)
)

// parseModels reads the interfaces of models.ts, and its Partial<Pick<...>>
// aliases, as field lists.
func parseModels(t *testing.T, src string) map[string][]tsField {
	t.Helper()
	models := map[string][]tsField{}
	for _, m := range tsInterface.FindAllStringSubmatch(src, -1) {
		for _, f := range tsFieldRe.FindAllStringSubmatch(m[2], -1) {
			models[m[1]] = append(models[m[1]], tsField{name: f[1], optional: f[2] == "?", typ: strings.TrimSpace(f[3])})
		}
	}
	for _, m := range tsPartial.FindAllStringSubmatch(src, -1) {
		for _, name := range strings.Split(m[3], "|") {
			name = strings.Trim(strings.TrimSpace(name), "'")
			i := slices.IndexFunc(models[m[2]], func(f tsField) bool { return f.name == name })
			if i < 0 {
				t.Fatalf("%s picks %q, which %s does not have", m[1], name, m[2])
			}
			f := models[m[2]][i]
			f.optional = true
			models[m[1]] = append(models[m[1]], f)
		}
	}
	for _, m := range tsOtherType.FindAllStringSubmatch(src, -1) {
		if _, ok := models[m[1]]; !ok {
			t.Fatalf("models.ts: type %s is neither an interface nor a Partial<Pick<...>>; teach webapp_models_test.go to read it", m[1])
		}
	}
	return models
}

// TestWebappModelsMatchTheDocument ties the webapp's TypeScript models to
// server/openapi.json: a field the app reads or sends must be in the schema
// with a matching type, a field the app counts on must be required, and a
// request must carry every required field. A server change that would break
// the app fails here, before a browser sees it.
func TestWebappModelsMatchTheDocument(t *testing.T) {
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(webappAPI)
	if err != nil {
		t.Fatal(err)
	}
	models := parseModels(t, string(src))
	for name := range models {
		if _, ok := webappModels[name]; !ok {
			t.Errorf("models.ts has %s, which webappModels does not map to a schema of server/openapi.json", name)
		}
	}
	for model, schemaName := range webappModels {
		fields, ok := models[model]
		if !ok {
			t.Errorf("models.ts no longer has %s; drop it from webappModels", model)
			continue
		}
		schema := doc.Components.Schemas[schemaName].Value
		request := slices.Contains(requests, model)
		for _, f := range fields {
			prop := schema.Properties[f.name]
			if prop == nil {
				t.Errorf("%s.%s: schema %s has no such property", model, f.name, schemaName)
				continue
			}
			if msg := tsTypeMismatch(doc, f.typ, prop.Value); msg != "" {
				t.Errorf("%s.%s is %s in models.ts, but %s in schema %s", model, f.name, f.typ, msg, schemaName)
			}
			if !request && !f.optional && !slices.Contains(schema.Required, f.name) {
				t.Errorf("%s.%s is not optional in models.ts, but schema %s does not require it", model, f.name, schemaName)
			}
		}
		if request {
			for _, req := range schema.Required {
				if !slices.ContainsFunc(fields, func(f tsField) bool { return f.name == req && !f.optional }) {
					t.Errorf("%s: schema %s requires %q, which models.ts does not send (or makes optional)", model, schemaName, req)
				}
			}
		}
	}
}

// tsTypeMismatch says what the schema has instead, or "" if it fits.
func tsTypeMismatch(doc *openapi3.T, tsType string, s *openapi3.Schema) string {
	types := schemaTypes(s)
	switch tsType {
	case "string":
		if !slices.Contains(types, "string") {
			return strings.Join(types, "|")
		}
	case "number":
		if !slices.Contains(types, "integer") && !slices.Contains(types, "number") {
			return strings.Join(types, "|")
		}
	default:
		want, ok := webappModels[tsType]
		if !ok {
			return "a type webapp_models_test.go cannot compare"
		}
		if s != doc.Components.Schemas[want].Value {
			return "not schema " + want
		}
	}
	return ""
}

// schemaTypes lists a schema's types, looking through oneOf (nullable fields).
func schemaTypes(s *openapi3.Schema) []string {
	var types []string
	if s.Type != nil {
		types = append(types, s.Type.Slice()...)
	}
	if s.Const != nil {
		types = append(types, "string")
	}
	for _, o := range s.OneOf {
		types = append(types, schemaTypes(o.Value)...)
	}
	return types
}

// tsTypeof is a type test (typeof x.code === 'string'), not a code.
var tsTypeof = regexp.MustCompile(`typeof [\w.]+ [!=]==? '\w+'`)

var tsErrorCode = regexp.MustCompile(`(?:code\s*[!=]==?\s*|apiError\(|error: \{ code: )'([a-z_]+)'`)

// TestWebappErrorCodesAreDocumented: every error code the webapp (or its
// tests) matches on is one the document says the API sends.
func TestWebappErrorCodesAreDocumented(t *testing.T) {
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range doc.Components.Schemas["ErrorCode"].Value.Enum {
		codes = append(codes, c.(string))
	}
	seen := 0
	err = filepath.WalkDir("../webapp/src", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ts") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range tsErrorCode.FindAllStringSubmatch(tsTypeof.ReplaceAllString(string(b), ""), -1) {
			seen++
			if !slices.Contains(codes, m[1]) {
				t.Errorf("%s matches on error code %q, which server/openapi.json does not list", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 5 {
		t.Fatalf("found only %d error codes in webapp/src: has the way the app matches codes changed?", seen)
	}
}
