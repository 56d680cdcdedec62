package server

import (
	"bufio"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apparentlymart/go-textseg/v17/textseg"
)

// initial is a name's first user-perceived character (grapheme cluster) that
// starts with a letter or digit: "É" keeps its accent however it is encoded,
// a Devanagari conjunct stays whole, and leading punctuation or emoji are
// skipped ("'t Hooft" gives "t"). Case is kept as written. A name without a
// letter or digit (checkName refuses those) gives its first cluster.
func initial(name string) string {
	sc := bufio.NewScanner(strings.NewReader(strings.TrimSpace(name)))
	sc.Split(textseg.ScanGraphemeClusters)
	first := ""
	for sc.Scan() {
		c := sc.Text()
		if r, _ := utf8.DecodeRuneInString(c); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return c
		}
		if first == "" {
			first = c
		}
	}
	return first
}
