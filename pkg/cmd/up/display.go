package up

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/cmd/status"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local/stack"
)

const keptEvents = 10

// display shows the stack's life: on a terminal a status screen redrawn every
// second with the latest events under it; otherwise one line per event (or
// one JSON object per event with --output json).
type display struct {
	io   *iostreams.IOStreams
	json bool
	tty  bool

	mu     sync.Mutex
	stack  *stack.Stack
	head   string
	recent []string
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newDisplay(io *iostreams.IOStreams, jsonOut bool) *display {
	return &display{io: io, json: jsonOut, tty: io.IsStdoutTTY() && !jsonOut, stop: make(chan struct{})}
}

func (d *display) event(ev env.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	line := ev.Time.Format("15:04:05.0") + "  " + ev.Message
	switch {
	case d.json:
		_ = json.NewEncoder(d.io.Out).Encode(ev)
	case d.tty && d.stack != nil:
		d.recent = append(d.recent, line)
		if len(d.recent) > keptEvents {
			d.recent = d.recent[len(d.recent)-keptEvents:]
		}
	default:
		fmt.Fprintln(d.io.Out, line)
	}
}

// upRecord is the JSON line `up --output json` prints once the stack serves:
// what a script needs to use it.
type upRecord struct {
	env.Event
	Endpoint     string `json:"endpoint"`
	DemoEmail    string `json:"demoEmail"`
	DemoPassword string `json:"demoPassword"`
	Note         string `json:"note,omitempty"`
}

// ready switches to the live screen (on a terminal) once the stack serves.
func (d *display) ready(s *stack.Stack, head string, rec upRecord) {
	d.mu.Lock()
	d.stack, d.head = s, head
	if !d.tty {
		if d.json {
			rec.Event = env.Event{Time: time.Now(), Kind: "up", Message: "serving at " + rec.Endpoint}
			_ = json.NewEncoder(d.io.Out).Encode(rec)
			fmt.Fprint(d.io.ErrOut, head)
		} else {
			fmt.Fprint(d.io.Out, "\n"+head+"\n")
		}
		d.mu.Unlock()
		return
	}
	d.mu.Unlock()
	d.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			d.redraw()
			select {
			case <-d.stop:
				return
			case <-t.C:
			}
		}
	})
}

func (d *display) redraw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b bytes.Buffer
	b.WriteString("\x1b[H\x1b[2J") // cursor home, clear screen
	b.WriteString(d.head + "\n")
	status.Print(&b, d.stack.Status())
	b.WriteString("\nRecent events:\n")
	for _, l := range d.recent {
		b.WriteString("  " + l + "\n")
	}
	_, _ = d.io.Out.Write(b.Bytes())
}

func (d *display) stopping() {
	d.close()
	fmt.Fprintln(d.io.ErrOut, "\nStopping: draining the load balancer, then SIGTERM to every replica...")
}

// close stops the redraws; later events print as lines.
func (d *display) close() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	d.wg.Wait()
	d.mu.Lock()
	d.tty = false
	d.mu.Unlock()
}
