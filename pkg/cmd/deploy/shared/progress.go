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
// with jsonOut (stdout keeps the command's one JSON result), redrawn in place
// on a terminal, and as plain timestamped lines otherwise. Events with a Key
// describe a state that changes (a deployment's counts); a terminal rewrites
// their line while it is the last one, and plain output prints a keyed line
// only when its text changed.
func Progress(ios *iostreams.IOStreams, jsonOut bool) func(env.Event) {
	p := &progress{w: ios.ErrOut, json: jsonOut, tty: ios.IsStderrTTY(), last: map[string]string{}}
	return p.show
}

type progress struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	tty  bool
	// last holds each key's last message; lastKey is the key of the line the
	// cursor is on (a terminal can rewrite it).
	last    map[string]string
	lastKey string
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
		if p.last[ev.Key] == ev.Message {
			return
		}
		p.last[ev.Key] = ev.Message
	}
	line := fmt.Sprintf("%s  %s", ev.Time.Format("15:04:05.0"), ev.Message)
	if p.tty && ev.Key != "" && ev.Key == p.lastKey {
		// Move up to the keyed line, clear it and write it anew.
		fmt.Fprintf(p.w, "\x1b[1A\r\x1b[2K%s\n", line)
		return
	}
	fmt.Fprintln(p.w, line)
	p.lastKey = ev.Key
}
