package shared

import (
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

func TestProgress(t *testing.T) {
	events := []env.Event{
		{Time: time.Now(), Message: "updating the service"},
		{Time: time.Now(), Key: "d", Message: "running 1/3"},
		{Time: time.Now(), Key: "d", Message: "running 1/3"},
		{Time: time.Now(), Key: "d", Message: "running 2/3"},
		{Time: time.Now(), Message: "steady state"},
	}
	show := func(tty bool) string {
		ios, _, _, errOut := iostreams.Test()
		ios.SetStderrTTY(tty)
		p := Progress(ios, false)
		for _, ev := range events {
			p(ev)
		}
		return errOut.String()
	}
	// Plain output: one line per change, nothing repeated, no escape codes.
	plain := show(false)
	if n := strings.Count(plain, "\n"); n != 4 || strings.Contains(plain, "\x1b") {
		t.Fatalf("plain progress (%d lines):\n%q", n, plain)
	}
	// A terminal keeps the keyed line at the bottom and redraws it in place.
	tty := show(true)
	if strings.Count(tty, "\x1b[1A") != 2 || !strings.HasSuffix(tty, "running 2/3\n") {
		t.Fatalf("terminal progress:\n%q", tty)
	}
}
