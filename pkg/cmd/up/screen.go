package up

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/rollout"
)

// screen is what the live display shows, rendered by lines for a terminal of
// width columns and height rows.
type screen struct {
	head   [][]string // the URL, the demo user, notes: always on top (header)
	status env.Status
	recent []env.Event
	// foot, when set, is the last line (shutting down).
	foot string
}

// render returns height-1 lines (the cursor keeps the last row, so the top
// never scrolls off), none longer than width: the header first,
// then the version and rollout, the replicas, and as many of the latest
// events as fit.
func (sc screen) render(width, height int, cs *iostreams.ColorScheme) []string {
	width, height = max(width, 20), max(height, 4)
	var top []string
	for _, alts := range sc.head {
		top = append(top, fitFirst(alts, width))
	}
	st := sc.status
	ver := "Version   " + st.Version
	if st.PreviousVersion != "" {
		ver += " (previous " + st.PreviousVersion + ")"
	}
	if st.Deploying {
		ver = fit(ver, width-len("  rollout in progress")) + "  " + cs.Yellow("rollout in progress")
	} else {
		ver = fit(ver, width)
	}
	top = append(top, "", ver)
	if p := st.Progressive; p != nil {
		top = append(top, fit(progressiveLine(p), width))
	}
	var bottom []string
	if sc.foot != "" {
		bottom = append(bottom, fit(sc.foot, width))
	}
	rows := height - 1 - len(top) - len(bottom)
	if rows <= 0 { // a tiny terminal: the header, cut to fit
		return append(top, bottom...)[:height-1]
	}
	table := targetTable(st.Targets, width, cs)
	if len(table) > rows {
		more := len(table) - rows + 1
		table = append(table[:rows-1], fit(fmt.Sprintf("… %d more replicas", more), width))
	}
	lines := append(append(top, ""), table...)
	if n := height - 1 - len(lines) - len(bottom) - 2; n > 0 && len(sc.recent) > 0 {
		lines = append(lines, "", "Recent events")
		evs := sc.recent[max(len(sc.recent)-n, 0):]
		for _, ev := range evs {
			lines = append(lines, eventLine(ev, width, cs))
		}
	}
	if len(lines)+len(bottom) > height-1 { // the table's blank line did not fit
		lines = lines[:height-1-len(bottom)]
	}
	// Padded to the full height: the first draw scrolls what up printed
	// before it away, and the header stays on the terminal's top row.
	for len(lines)+len(bottom) < height-1 {
		lines = append(lines, "")
	}
	return append(lines, bottom...)
}

func progressiveLine(p *rollout.State) string {
	s := fmt.Sprintf("Rollout   %s, %s", p.Strategy, p.Stage)
	if p.Step > 0 {
		s += fmt.Sprintf(" %d/%d", p.Step, p.Steps)
	}
	s += fmt.Sprintf(": new %g%%, old %g%%", p.Weight, 100-p.Weight)
	if !p.BakeEnds.IsZero() {
		s += fmt.Sprintf(", bake ends in %s", max(time.Until(p.BakeEnds), 0).Round(time.Second))
	}
	if p.Hook != "" {
		s += ", hook " + p.Hook
	}
	if p.New != nil && p.Old != nil {
		s += fmt.Sprintf("; failed new %d/%d, old %d/%d", p.New.Errors, p.New.Requests, p.Old.Errors, p.Old.Requests)
	}
	return s
}

// eventLine marks a rollout's end with ✓ or ✗.
func eventLine(ev env.Event, width int, cs *iostreams.ColorScheme) string {
	prefix := "  " + ev.Time.Format("15:04:05.0") + "  "
	icon := ""
	switch ev.Kind {
	case "ready", "completed":
		icon = cs.SuccessIcon() + " "
	case "circuit-breaker", "kill", "rollback":
		icon = cs.FailureIcon() + " "
	}
	msg := ev.Message
	if icon != "" {
		msg = fit(msg, width-len(prefix)-2)
		return prefix + icon + msg
	}
	return fit(prefix+msg, width)
}

// column is one of the replica table's; the lower its keep, the sooner it
// is left out when the table is too wide.
type column struct {
	title string
	keep  int
	cells []string
	state bool // coloured as a state
	width int
}

// targetTable lays the replicas out in columns that fit width: the least
// needed columns are left out first, then the version is shortened.
func targetTable(targets []env.Target, width int, cs *iostreams.ColorScheme) []string {
	if len(targets) == 0 {
		return []string{"No replica running."}
	}
	cols := []*column{
		{title: "REPLICA", keep: 9}, {title: "VERSION", keep: 8}, {title: "STATE", keep: 7, state: true},
		{title: "HEALTH", keep: 10, state: true}, {title: "IN FLIGHT", keep: 4}, {title: "UP", keep: 5},
		{title: "PID", keep: 2}, {title: "ADDRESS", keep: 1},
	}
	for _, t := range targets {
		up := "-"
		if !t.Started.IsZero() {
			up = time.Since(t.Started).Round(time.Second).String()
		}
		for i, v := range []string{t.ID, t.Version, t.State, t.Health, strconv.FormatInt(t.InFlight, 10), up, strconv.Itoa(t.PID), t.Addr} {
			cols[i].cells = append(cols[i].cells, v)
		}
	}
	for _, c := range cols {
		c.width = utf8.RuneCountInString(c.title)
		for _, v := range c.cells {
			c.width = max(c.width, utf8.RuneCountInString(v))
		}
	}
	total := func() int {
		n := 0
		for _, c := range cols {
			n += c.width + 2
		}
		return n - 2
	}
	for total() > width && len(cols) > 4 {
		low := 0
		for i, c := range cols {
			if c.keep < cols[low].keep {
				low = i
			}
		}
		cols = append(cols[:low], cols[low+1:]...)
	}
	if over := total() - width; over > 0 { // the version gives way, down to 8 columns
		cols[1].width = max(cols[1].width-over, 8)
	}
	lines := make([]string, 0, len(targets)+1)
	row := func(cell func(c *column) (string, bool)) string {
		var b strings.Builder
		for i, c := range cols {
			v, state := cell(c)
			v = fit(v, c.width)
			pad := strings.Repeat(" ", c.width-utf8.RuneCountInString(v))
			if state {
				v = cs.State(v)
			}
			b.WriteString(v)
			if i < len(cols)-1 {
				b.WriteString(pad + "  ")
			}
		}
		return b.String()
	}
	lines = append(lines, row(func(c *column) (string, bool) { return c.title, false }))
	for r := range targets {
		lines = append(lines, row(func(c *column) (string, bool) { return c.cells[r], c.state }))
	}
	// Still too wide (a tiny terminal): cut, colour and all.
	for i, l := range lines {
		if visibleLen(l) > width {
			lines[i] = fit(stripANSI(l), width)
		}
	}
	return lines
}

// fitFirst is the first of the forms that fits, else the last one cut.
func fitFirst(forms []string, width int) string {
	for _, f := range forms {
		if utf8.RuneCountInString(f) <= width {
			return f
		}
	}
	return fit(forms[len(forms)-1], width)
}

// fit cuts s to at most width characters, ending it with … when cut.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// stripANSI removes the colour sequences (ESC [ … m) ColorScheme writes.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := strings.IndexByte(s[i:], 'm')
			if j > 0 {
				i += j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func visibleLen(s string) int { return utf8.RuneCountInString(stripANSI(s)) }
