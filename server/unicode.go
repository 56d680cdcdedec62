package server

import (
	"unicode"

	"github.com/empctl/empctl/server/email"
)

// hasStrayFormatChar is email.Invisible for names, except where scripts and emoji
// need them: a zero-width joiner or non-joiner between two visible characters
// (Persian and Indic names, emoji sequences) and a variation selector after a
// visible character (emoji presentation).
func hasStrayFormatChar(s string) bool {
	rs := []rune(s)
	visible := func(i int) bool { return i >= 0 && i < len(rs) && !email.Invisible(rs[i]) && !unicode.IsSpace(rs[i]) }
	for i, r := range rs {
		switch {
		case !email.Invisible(r):
		case r == '\u200c' || r == '\u200d':
			if !visible(i-1) || !visible(i+1) {
				return true
			}
		case unicode.Is(unicode.Variation_Selector, r):
			if !visible(i - 1) {
				return true
			}
		default:
			return true
		}
	}
	return false
}
