package server

import (
	"unicode"
)

// invisible reports characters that render as nothing or change how their
// neighbours render: format characters (zero-width space, byte-order mark,
// direction overrides), other default-ignorable code points (Hangul fillers,
// the combining grapheme joiner) and variation selectors.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// hasStrayFormatChar is invisible for names, except where scripts and emoji
// need them: a zero-width joiner or non-joiner between two visible characters
// (Persian and Indic names, emoji sequences) and a variation selector after a
// visible character (emoji presentation).
func hasStrayFormatChar(s string) bool {
	rs := []rune(s)
	visible := func(i int) bool { return i >= 0 && i < len(rs) && !invisible(rs[i]) && !unicode.IsSpace(rs[i]) }
	for i, r := range rs {
		switch {
		case !invisible(r):
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

// lookAlikeScripts are the scripts whose letters pass for Latin ones (or for
// each other); common and inherited characters (digits, punctuation,
// combining marks) belong to none.
var lookAlikeScripts = map[string]*unicode.RangeTable{
	"Latin": unicode.Latin, "Cyrillic": unicode.Cyrillic, "Greek": unicode.Greek, "Armenian": unicode.Armenian,
	"Cherokee": unicode.Cherokee, "Coptic": unicode.Coptic, "Georgian": unicode.Georgian,
}

// mixedScripts reports a part of an address that mixes alphabets, the
// look-alike trick ("аlice" with a Cyrillic а). A part written wholly in one
// script, Cyrillic included, is fine.
func mixedScripts(part string) bool {
	seen := ""
	for _, r := range part {
		for name, table := range lookAlikeScripts {
			if unicode.Is(table, r) {
				if seen != "" && seen != name {
					return true
				}
				seen = name
			}
		}
	}
	return false
}
