// Package email is the one definition of a normalised, acceptable e-mail
// address: sign-up and login apply it, and the store's data migration brings
// addresses stored before it to the same form.
package email

import (
	"net/mail"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize trims, applies NFKC (fullwidth letters, decomposed accents and
// other compatibility forms become the one canonical spelling) and
// lower-cases: addresses are unique in that form.
func Normalize(s string) string {
	return norm.NFKC.String(strings.ToLower(norm.NFKC.String(strings.TrimSpace(s))))
}

// Problem says what is wrong with a normalised address, as the end of a
// sentence about the field ("must be ..."), or "" when it is acceptable.
func Problem(addr string) string {
	switch {
	case addr == "":
		return "is required"
	case len(addr) > 254:
		return "must be at most 254 characters"
	case strings.ContainsFunc(addr, Invisible):
		return "must not contain invisible, formatting or direction-changing characters"
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" || !strings.Contains(addr[strings.LastIndex(addr, "@"):], ".") {
		return "must be a valid email address like name@example.com"
	}
	local, domain, _ := strings.Cut(addr, "@")
	for _, part := range append([]string{local}, strings.Split(domain, ".")...) {
		if mixedScripts(part) {
			return "must not mix alphabets within a part (such as a Cyrillic letter among Latin ones)"
		}
	}
	return ""
}

// Invisible reports characters that render as nothing or change how their
// neighbours render: format characters (zero-width space, byte-order mark,
// direction overrides), other default-ignorable code points (Hangul fillers,
// the combining grapheme joiner) and variation selectors. Names are checked
// against it too.
func Invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
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
