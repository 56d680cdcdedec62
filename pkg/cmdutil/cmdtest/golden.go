package cmdtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden JSON shapes from this run")

// JSONShape is the shape of the JSON documents in out, one per paragraph:
// each object's keys with the shapes of their values, an array as the merged
// shape of its elements, and "string", "number", "boolean" or "null" for the
// rest. Values (versions, times, counts) do not count, so the shape holds
// what a script relies on. maps names the objects keyed by data (versions,
// phases), dot-separated with [] for an array's elements (e.g.
// "timeline[].versions"): their keys show as one "*". Anything on out that is
// not JSON fails the test.
func JSONShape(t testing.TB, out string, maps ...string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var docs []string
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the output is not JSON documents only: %v\n%s", err, out)
		}
		b, err := json.MarshalIndent(shape(v, "", maps), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	if len(docs) == 0 {
		t.Fatalf("no JSON on the output:\n%s", out)
	}
	return strings.Join(docs, "\n\n") + "\n"
}

func shape(v any, path string, maps []string) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if slices.Contains(maps, path) {
				out["*"] = merge(out["*"], shape(e, join(path, "*"), maps))
				continue
			}
			out[k] = shape(e, join(path, k), maps)
		}
		return out
	case []any:
		var elem any
		for _, e := range v {
			elem = merge(elem, shape(e, path+"[]", maps))
		}
		if elem == nil {
			return []any{}
		}
		return []any{elem}
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// merge is the shape that covers a and b: the union of two objects' keys,
// else "a|b" for two different shapes.
func merge(a, b any) any {
	if a == nil {
		return b
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for k, v := range bm {
			am[k] = merge(am[k], v)
		}
		return am
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		switch {
		case len(al) == 0:
			return bl
		case len(bl) == 0:
			return al
		}
		return []any{merge(al[0], bl[0])}
	}
	as, _ := json.Marshal(a)
	bs, _ := json.Marshal(b)
	if bytes.Equal(as, bs) {
		return a
	}
	alts := strings.Split(strings.Trim(string(as), `"`)+"|"+strings.Trim(string(bs), `"`), "|")
	slices.Sort(alts)
	return strings.Join(slices.Compact(alts), "|")
}

// Golden compares got with testdata/name.golden; with -update it writes the
// file instead (review the diff: a changed shape breaks scripts).
func Golden(t testing.TB, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v: write it with `go test -run %s -update` and review it", err, t.Name())
	}
	if string(want) != got {
		t.Fatalf("the JSON shape changed (scripts rely on it): if that is meant, run `go test -run %s -update`, review the diff and say so in the command's JSON docs\n--- %s\n%s\n--- got\n%s", t.Name(), file, want, got)
	}
}
