package up

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local/demo"
	"github.com/empctl/empctl/pkg/rollout"
)

const testEndpoint = "http://127.0.0.1:8080"

var testDemo = demo.User{Email: "demo@example.com", Password: "Zk3v9QeLr2xYt8WmNa5bCd"}

// midRollout is the stack during a canary rollout: three old replicas and
// three new ones, long versions, and many long events.
func midRollout() (env.Status, []env.Event) {
	old, cur := "e391d33-dirty-20261206T211955-0a1b2c3d", "f00dbab-dirty-20261206T212410-9f8e7d6c"
	st := env.Status{Env: "local", Endpoint: testEndpoint, Version: old, PreviousVersion: "c0ffee1-20261205T101010", Deploying: true, Desired: 3,
		Progressive: &rollout.State{Strategy: "canary", Stage: rollout.StageBake, Step: 1, Steps: 2, Weight: 10, BakeEnds: time.Now().Add(30 * time.Second),
			New: &rollout.Counts{Requests: 1200, Errors: 0}, Old: &rollout.Counts{Requests: 10800, Errors: 3}}}
	for i := range 6 {
		v, state, health := old, "running", "healthy"
		if i >= 3 {
			v, state, health = cur, "starting", "initial"
		}
		st.Targets = append(st.Targets, env.Target{ID: fmt.Sprintf("replica-%d", i+1), Version: v, Zone: "local", Addr: fmt.Sprintf("127.0.0.1:4%04d", i),
			PID: 123456 + i, State: state, Health: health, InFlight: int64(i * 7), Started: time.Now().Add(-time.Duration(i) * time.Minute)})
	}
	var evs []env.Event
	for i := range keptEvents {
		evs = append(evs, env.Event{Time: time.Now(), Kind: "health", Message: fmt.Sprintf("event %d: replica-%d of %s passed its health check and now gets requests from the load balancer", i, i%6+1, cur)})
	}
	evs = append(evs, env.Event{Time: time.Now(), Kind: "circuit-breaker", Message: "rollout failed: " + strings.Repeat("the new replicas did not become healthy ", 3)})
	return st, evs
}

func TestScreenFitsTheTerminal(t *testing.T) {
	st, evs := midRollout()
	head := header(testEndpoint, testDemo, "no webapp in this project: serving the API only")
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 24}, {120, 40}, {60, 15}, {48, 8}} {
		for _, color := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d color=%v", size.w, size.h, color), func(t *testing.T) {
				lines := screen{head: head, status: st, recent: evs}.render(size.w, size.h, iostreams.NewColorScheme(color))
				out := strings.Join(lines, "\n")
				if len(lines) != size.h-1 {
					t.Errorf("%d lines for %d rows: the top scrolls off or the header is not on the top row\n%s", len(lines), size.h, out)
				}
				for _, l := range lines {
					if n := visibleLen(l); n > size.w {
						t.Errorf("a line of %d columns, wider than %d: %q", n, size.w, l)
					}
					if strings.Contains(l, "\x1b[2J") || strings.Contains(l, "\n") {
						t.Errorf("a line clears the screen or breaks: %q", l)
					}
				}
				if !strings.Contains(lines[0], testEndpoint) || !strings.Contains(lines[1], testDemo.Password) || !strings.Contains(lines[1], testDemo.Email) {
					t.Errorf("the URL and the demo user are not on top:\n%s", out)
				}
				if strings.Contains(out, "\x1b[") != color {
					t.Errorf("colour sequences present: %v, want %v", !color, color)
				}
				if size.h >= 24 {
					plain := stripANSI(out)
					for _, want := range []string{"Rollout   canary, bake 1/2: new 10%, old 90%", "replica-6", "REPLICA", "Recent events", "✗ rollout failed"} {
						if !strings.Contains(plain, want) {
							t.Errorf("lacks %q:\n%s", want, plain)
						}
					}
				}
				if size.w >= 120 && !strings.Contains(out, "ADDRESS") {
					t.Errorf("120 columns leave room for every column:\n%s", out)
				}
			})
		}
	}
}

// The live screen is redrawn in place (cursor up, lines rewritten) rather
// than by clearing the screen, and ends with a line saying the stack stopped.
func TestDisplayRedrawsInPlaceAndSaysStopped(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetTTY(false, true)
	ios.SetTerminalSize(80, 24)
	st, evs := midRollout()
	d := newDisplay(ios, false)
	var mu sync.Mutex
	d.ready(func() env.Status { mu.Lock(); defer mu.Unlock(); return st }, header(testEndpoint, testDemo, ""), upRecord{})
	for _, ev := range evs {
		d.event(ev)
	}
	d.stopping()
	mu.Lock()
	st = env.Status{Env: "local", Endpoint: testEndpoint, Version: st.Version, Targets: []env.Target{}}
	mu.Unlock()
	d.stopped()
	d.event(env.Event{Kind: "late", Message: "an event after the screen ended"})
	s := out.String()
	if strings.Contains(s, "\x1b[2J") {
		t.Fatalf("the screen was cleared:\n%q", s)
	}
	if !strings.Contains(s, "\x1b[") || strings.Count(s, "the app is at") < 2 {
		t.Fatalf("not redrawn in place:\n%q", s)
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if last := lines[len(lines)-2]; !strings.Contains(last, "The local environment stopped") {
		t.Fatalf("the closing line is %q", last)
	}
	if !strings.HasSuffix(s, "an event after the screen ended\n") {
		t.Fatalf("events after the screen are not lines: %q", s[len(s)-80:])
	}
}
