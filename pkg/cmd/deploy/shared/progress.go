package shared

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// Progress returns a callback that shows each event on stderr: as JSON lines
// with jsonOut (stdout keeps the command's one JSON result), as plain
// timestamped lines when stderr is not a terminal, and on a terminal with the
// keyed events (a state that changes: deployments, target health, bytes
// pushed) kept as a block at the bottom that is redrawn in place. Plain
// output prints a keyed line only when its text changed.
func Progress(ios *iostreams.IOStreams, jsonOut bool) func(env.Event) {
	p := &progress{w: ios.ErrOut, json: jsonOut, tty: ios.IsStderrTTY(), cs: ios.ErrColorScheme(), last: map[string]env.Event{}}
	return p.show
}

type progress struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	tty  bool
	cs   *iostreams.ColorScheme
	// last holds each key's event, keys their order in the live block, and
	// drawn how many block lines are on the terminal now.
	last  map[string]env.Event
	keys  []string
	drawn int
}

func (p *progress) show(ev env.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		if b, err := json.Marshal(ev); err == nil {
			fmt.Fprintf(p.w, "%s\n", b)
		}
		return
	}
	if ev.Key != "" {
		prev, seen := p.last[ev.Key]
		if seen && prev.Message == ev.Message {
			return
		}
		if !seen {
			p.keys = append(p.keys, ev.Key)
		}
		p.last[ev.Key] = ev
	}
	if !p.tty {
		fmt.Fprintln(p.w, p.line(ev))
		return
	}
	// Erase the block, print a message above it, then draw the block again.
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\r\x1b[J", p.drawn)
	}
	if ev.Key == "" {
		fmt.Fprintln(p.w, p.line(ev))
	}
	for _, k := range p.keys {
		fmt.Fprintln(p.w, p.line(p.last[k]))
	}
	p.drawn = len(p.keys)
}

// line is an event's timestamped line; a warning, a failure and a success
// are coloured on a terminal.
func (p *progress) line(ev env.Event) string {
	msg := ev.Message
	switch ev.Kind {
	case "warning":
		msg = p.cs.Yellow(msg)
	case "circuit-breaker", "failed":
		msg = p.cs.Red(msg)
	case "completed":
		msg = p.cs.Green(msg)
	}
	return fmt.Sprintf("%s  %s", ev.Time.Format("15:04:05.0"), msg)
}
