package up

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

const keptEvents = 20

const stoppingNote = "Stopping: draining the load balancer, then SIGTERM to every replica..."

// display shows the stack's life: on a terminal a status screen redrawn in
// place every second (and soon after each event), the URL and demo user on
// top, the latest events under it; otherwise one line per event (or one
// JSON object per event with --output json).
type display struct {
	io   *iostreams.IOStreams
	json bool
	tty  bool

	mu     sync.Mutex
	status func() env.Status
	head   [][]string
	recent []env.Event
	foot   string
	// drawn is how many lines the screen has on the terminal now, and
	// width, height the terminal's size when it was drawn.
	drawn         int
	width, height int
	// reserve is how many rows below the screen stay free (the closing line).
	reserve int

	kick chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
}

func newDisplay(io *iostreams.IOStreams, jsonOut bool) *display {
	return &display{io: io, json: jsonOut, tty: io.IsStdoutTTY() && !jsonOut, kick: make(chan struct{}, 1), stop: make(chan struct{})}
}

func (d *display) event(ev env.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.json:
		_ = json.NewEncoder(d.io.Out).Encode(ev)
	case d.tty && d.status != nil:
		d.recent = append(d.recent, ev)
		if len(d.recent) > keptEvents {
			d.recent = d.recent[len(d.recent)-keptEvents:]
		}
		d.redrawSoon()
	default:
		fmt.Fprintln(d.io.Out, ev.Time.Format("15:04:05.0")+"  "+ev.Message)
	}
}

// redrawSoon asks the drawing goroutine for a redraw; the stack's event
// callback must not wait for one.
func (d *display) redrawSoon() {
	select {
	case d.kick <- struct{}{}:
	default:
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
// status is the stack's (Stack.Status).
func (d *display) ready(status func() env.Status, head [][]string, rec upRecord) {
	d.mu.Lock()
	d.head, d.status = head, status
	if !d.tty {
		if d.json {
			rec.Event = env.Event{Time: time.Now(), Kind: "up", Message: "serving at " + rec.Endpoint}
			_ = json.NewEncoder(d.io.Out).Encode(rec)
			fmt.Fprint(d.io.ErrOut, headerText(head))
		} else {
			fmt.Fprint(d.io.Out, "\n"+headerText(head)+"\n")
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
			case <-d.kick:
			}
		}
	})
}

// redraw draws the screen over the one drawn before: the cursor goes back up
// to its first line, every line is rewritten and cleared to its end, and
// what is left below is cleared. Nothing scrolls and nothing is cleared
// whole, so the terminal's scrollback keeps no copies; only a resize, which
// may have rewrapped what was drawn, clears the screen once.
func (d *display) redraw() {
	st := d.status() // outside d.mu: the stack's events take d.mu
	d.mu.Lock()
	defer d.mu.Unlock()
	w, h := d.io.TerminalSize()
	sc := screen{head: d.head, status: st, recent: d.recent, foot: d.foot}
	var b bytes.Buffer
	switch {
	case d.drawn > 0 && (w != d.width || h != d.height):
		b.WriteString("\x1b[H\x1b[2J")
	case d.drawn > 0:
		fmt.Fprintf(&b, "\x1b[%dA\r", d.drawn)
	}
	lines := sc.render(w, h-d.reserve, d.io.ColorScheme())
	for _, l := range lines {
		b.WriteString(l + "\x1b[K\n")
	}
	b.WriteString("\x1b[J")
	d.drawn, d.width, d.height = len(lines), w, h
	_, _ = d.io.Out.Write(b.Bytes())
}

// stopping says the stack is stopping (Ctrl-C): on the screen's last line,
// or on stderr without a terminal.
func (d *display) stopping() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tty && d.status != nil {
		d.foot = stoppingNote
		d.redrawSoon()
		return
	}
	fmt.Fprintln(d.io.ErrOut, "\n"+stoppingNote)
}

// stopped ends the live screen once the stack is down: a last redraw, then
// a closing line under it.
func (d *display) stopped() {
	live := d.close()
	if !live {
		return
	}
	d.mu.Lock()
	d.foot, d.reserve = "", 1
	d.mu.Unlock()
	d.redraw()
	w, _ := d.io.TerminalSize()
	fmt.Fprintln(d.io.Out, d.io.ColorScheme().SuccessIcon()+" "+fit("The local environment stopped. `empctl up` starts it again.", w-2))
}

// close stops the redraws, and reports whether the live screen was showing;
// later events print as lines.
func (d *display) close() bool {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	live := d.tty && d.status != nil
	d.tty = false
	return live
}
