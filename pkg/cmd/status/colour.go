package status

import (
	"strings"
	"unicode/utf8"

	"github.com/empctl/empctl/pkg/iostreams"
)

// colourColumns colours the cells of the named columns as states in a table
// tabwriter laid out: after the layout, since escape codes would count as
// width and misalign the columns. A cell starts where its title does in the
// header (the first line) and runs to the next space.
func colourColumns(table string, cs *iostreams.ColorScheme, titles ...string) string {
	if !cs.Enabled() {
		return table
	}
	lines := strings.Split(table, "\n")
	var starts []int
	for _, t := range titles {
		if i := strings.Index(lines[0], t); i >= 0 {
			starts = append(starts, utf8.RuneCountInString(lines[0][:i]))
		}
	}
	for n := 1; n < len(lines); n++ {
		r := []rune(lines[n])
		var b strings.Builder
		at := 0
		for _, s := range starts { // in the header's order: left to right
			if s >= len(r) {
				break
			}
			end := s
			for end < len(r) && r[end] != ' ' {
				end++
			}
			b.WriteString(string(r[at:s]))
			b.WriteString(cs.State(string(r[s:end])))
			at = end
		}
		b.WriteString(string(r[at:]))
		lines[n] = b.String()
	}
	return strings.Join(lines, "\n")
}
