// Package commonpw knows the most common passwords (NIST SP 800-63B asks
// verifiers to refuse them); see NOTICE for the list's source and licence.
package commonpw

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed passwords.txt
var list string

var set = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 8500)
	for line := range strings.SplitSeq(list, "\n") {
		if line != "" {
			m[line] = struct{}{}
		}
	}
	return m
})

// Contains reports whether pw, ignoring case, is on the list.
func Contains(pw string) bool {
	_, ok := set()[strings.ToLower(pw)]
	return ok
}
