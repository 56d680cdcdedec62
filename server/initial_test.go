package server

import "testing"

func TestInitial(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Lovelace", "L"},
		{"  Lovelace", "L"},
		{"van Rossum", "v"},         // case as written
		{"'t Hooft", "t"},           // leading punctuation skipped
		{"😀 Smith", "S"},            // and a leading emoji
		{"E\u0301clair", "E\u0301"}, // a decomposed É keeps its accent
		{"Éclair", "É"},
		{"Łukasiewicz", "Ł"},
		{"李", "李"},
		{"\u1100\u1161\u11a8", "\u1100\u1161\u11a8"}, // a Hangul syllable in conjoining jamo is one character
		{"क्षत्रिय", "क्ष"},                          // a Devanagari conjunct stays whole
		{"3M", "3"},
		{"😀", "😀"}, // no letter or digit (refused at sign-up): the first character
		{"", ""},
	} {
		if got := initial(tc.name); got != tc.want {
			t.Errorf("initial(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
