package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// UnknownKeyError is a key empctl.yaml does not know: the file and line, where
// it sits, the keys valid there and the closest one.
type UnknownKeyError struct {
	File, Key, Where string
	Line             int
	Valid            []string
	Suggestion       string
}

func (e *UnknownKeyError) Error() string {
	msg := fmt.Sprintf("%s:%d: unknown key %q %s", e.File, e.Line, e.Key, e.Where)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(": did you mean %q?", e.Suggestion)
	}
	return msg + " Valid keys there: " + strings.Join(e.Valid, ", ")
}

// checkKeys walks the document against t's yaml tags so that a misspelt key
// names itself, its line and the valid keys (yaml.v3's own error names a Go
// type instead). Maps are descended into, with their values' type.
func checkKeys(file string, n *yaml.Node, t reflect.Type, where string) error {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if err := checkKeys(file, c, t, where); err != nil {
				return err
			}
		}
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode {
		return nil // the decoder reports type mismatches itself
	}
	switch t.Kind() {
	case reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKeys(file, n.Content[i+1], t.Elem(), where+"."+n.Content[i].Value); err != nil {
				return err
			}
		}
	case reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				valid := make([]string, 0, len(fields))
				for name := range fields {
					valid = append(valid, name)
				}
				sort.Strings(valid)
				loc := "at the top level"
				if where != "" {
					loc = "under " + strings.TrimPrefix(where, ".")
				}
				return &UnknownKeyError{File: file, Key: k.Value, Line: k.Line, Where: loc, Valid: valid, Suggestion: closest(k.Value, valid)}
			}
			if err := checkKeys(file, n.Content[i+1], ft, where+"."+k.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps each yaml key of struct t to its field's type.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// closest is the candidate within two edits of s (or sharing its prefix of
// four), if any: the "did you mean" of a typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), c)
		if d < bestD || (len(s) >= 4 && strings.HasPrefix(c, strings.ToLower(s)) && bestD > 2) {
			best, bestD = c, min(d, 2)
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
