package acmcheck

import (
	"slices"
	"testing"
)

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		cert, host string
		want       bool
	}{
		{"app.example.com", "app.example.com", true},
		{"App.Example.com", "app.example.COM", true},
		{"app.example.com.", "app.example.com", true},
		{"app.example.com", "api.example.com", false},
		{"app.example.com", "example.com", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", ".example.com", false},
		{"*.example.com", "a.example.org", false},
		{"*.example.com", "aexample.com", false},
		{"*.b.example.com", "a.b.example.com", true},
		{"*.b.example.com", "a.example.com", false},
		{"*.example.com", "*.example.com", true},
		{"*.example.com", "*.b.example.com", false},
		{"a.example.com", "*.example.com", false},
		{"*.com", "example.com", false},
		{"*", "example", false},
		{"a*.example.com", "ab.example.com", false},
		{"", "", false},
	} {
		if got := Covers(tc.cert, tc.host); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.cert, tc.host, got, tc.want)
		}
	}
}

func TestUncovered(t *testing.T) {
	got := Uncovered([]string{"example.com", "*.example.com"},
		[]string{"example.com", "app.example.com", "a.b.example.com", "example.org"})
	if want := []string{"a.b.example.com", "example.org"}; !slices.Equal(got, want) {
		t.Errorf("Uncovered = %q, want %q", got, want)
	}
	if got := Uncovered(nil, nil); got != nil {
		t.Errorf("Uncovered of no hosts = %q, want none", got)
	}
}
