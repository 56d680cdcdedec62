// Package cmdtest runs one empctl command in-process against a given
// environment (usually envtest.Fake) and returns what it printed and the exit
// code the process would have had.
package cmdtest

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// Result is what a command run left.
type Result struct {
	Out, ErrOut string
	Err         error
	Code        int
}

// Run builds the command with newCmd on a factory whose environment is e,
// runs it with args, and maps its error to the exit code as main does.
func Run(t testing.TB, newCmd func(*cmdutil.Factory) *cobra.Command, e env.Environment, args ...string) Result {
	t.Helper()
	return runIn(t.Context(), t, t.TempDir(), false, newCmd, e, args...)
}

// RunTTY is Run with stdout and stderr terminals, so colour is on unless
// NO_COLOR is set (a test sets it with t.Setenv).
func RunTTY(t testing.TB, newCmd func(*cmdutil.Factory) *cobra.Command, e env.Environment, args ...string) Result {
	t.Helper()
	return runIn(t.Context(), t, t.TempDir(), true, newCmd, e, args...)
}

// HasColour reports whether s holds an ANSI colour sequence.
func HasColour(s string) bool { return strings.Contains(s, "\x1b[") }

// RunIn is Run on the project in dir (--dir).
func RunIn(t testing.TB, dir string, newCmd func(*cmdutil.Factory) *cobra.Command, e env.Environment, args ...string) Result {
	t.Helper()
	return runIn(t.Context(), t, dir, false, newCmd, e, args...)
}

// RunContext is Run with the context the command runs in: cancelling it is
// the Ctrl-C of a real process.
func RunContext(ctx context.Context, t testing.TB, newCmd func(*cmdutil.Factory) *cobra.Command, e env.Environment, args ...string) Result {
	t.Helper()
	return runIn(ctx, t, t.TempDir(), false, newCmd, e, args...)
}

func runIn(ctx context.Context, t testing.TB, dir string, tty bool, newCmd func(*cmdutil.Factory) *cobra.Command, e env.Environment, args ...string) Result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if tty {
		ios.SetTTY(false, true)
		ios.SetStderrTTY(true)
	}
	f := &cmdutil.Factory{
		IOStreams:   ios,
		Global:      &cmdutil.GlobalOptions{Env: e.Name(), Output: cmdutil.OutputText, Dir: dir},
		Environment: func() (env.Environment, error) { return e, nil },
	}
	cmd := newCmd(f)
	// The root command owns --output; give the command under test the same flag.
	cmd.PersistentFlags().StringVarP(&f.Global.Output, "output", "o", cmdutil.OutputText, "text or json")
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	err := cmd.ExecuteContext(ctx)
	return Result{Out: out.String(), ErrOut: errOut.String(), Err: err, Code: cmdutil.ExitCode(err)}
}
