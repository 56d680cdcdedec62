package cmdtest

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
)

// CheckColour runs the command four ways and checks when its output is
// coloured: never when stdout and stderr are not terminals, nor with NO_COLOR
// set on a terminal, nor on stdout with -o json; on a terminal, stdout holds
// each of want (coloured text such as "\x1b[32m✓\x1b[0m").
func CheckColour(t *testing.T, newCmd func(*cmdutil.Factory) *cobra.Command, e env.Environment, args []string, want ...string) {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	if r := Run(t, newCmd, e, args...); HasColour(r.Out) || HasColour(r.ErrOut) {
		t.Errorf("colour without a terminal:\n%q\n%q", r.Out, r.ErrOut)
	}
	r := RunTTY(t, newCmd, e, args...)
	for _, w := range want {
		if !strings.Contains(r.Out, w) {
			t.Errorf("on a terminal stdout lacks %q:\n%q", w, r.Out)
		}
	}
	if r := RunTTY(t, newCmd, e, append(args, "-o", "json")...); HasColour(r.Out) {
		t.Errorf("colour in -o json:\n%q", r.Out)
	}
	t.Setenv("NO_COLOR", "1")
	if r := RunTTY(t, newCmd, e, args...); HasColour(r.Out) || HasColour(r.ErrOut) {
		t.Errorf("colour with NO_COLOR=1:\n%q\n%q", r.Out, r.ErrOut)
	}
}
