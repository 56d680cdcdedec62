package status

import (
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil/cmdtest"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/iostreams"
)

// States are coloured on a terminal only, never with NO_COLOR or -o json,
// and colour does not move the table's columns.
func TestStatusColour(t *testing.T) {
	st := env.Status{Env: "local", Endpoint: "http://127.0.0.1:8080", Version: "v2", Desired: 3, Deploying: true,
		Targets: []env.Target{
			{ID: "local-aaaaaa", Version: "v2", State: "running", Health: "healthy", Addr: "127.0.0.1:1", PID: 10, Started: time.Now()},
			{ID: "local-bbbbbb", Version: "v1", State: "draining", Health: "unhealthy", Addr: "127.0.0.1:2", PID: 11, Started: time.Now()},
			{ID: "local-cccccc", Version: "v2", State: "starting", Health: "initial", Addr: "127.0.0.1:3", PID: 12, Started: time.Now()},
		}}
	cmdtest.CheckColour(t, newCmd, &envtest.Fake{State: st}, nil,
		"\x1b[32mrunning\x1b[0m", "\x1b[32mhealthy\x1b[0m", "\x1b[33mdraining\x1b[0m", "\x1b[31munhealthy\x1b[0m", "\x1b[33m[rollout in progress]\x1b[0m")

	var plain, coloured strings.Builder
	Print(&plain, iostreams.NewColorScheme(false), st)
	Print(&coloured, iostreams.NewColorScheme(true), st)
	if got := stripColour(coloured.String()); got != plain.String() {
		t.Errorf("colour changed the layout:\n%s\nwant\n%s", got, plain.String())
	}
}

func stripColour(s string) string {
	for _, code := range []string{"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[0m"} {
		s = strings.ReplaceAll(s, code, "")
	}
	return s
}
