package verify

import (
	"errors"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/iostreams"
)

// --kill on a remote environment stops a task: without --yes it asks, and
// with no terminal to ask on it refuses before any load or deploy.
func TestKillOnARemoteEnvironmentNeedsConfirmation(t *testing.T) {
	run := func(tty bool, answer string, args ...string) (*envtest.Fake, error) {
		ios, in, out, errOut := iostreams.Test()
		ios.SetTTY(tty, false)
		in.WriteString(answer)
		fake := &envtest.Fake{EnvName: "prod", BuildErr: errors.New("the test stops at the build")}
		f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: "prod", Output: cmdutil.OutputText, Dir: t.TempDir()}}
		cmd := NewCmdVerify(f, func(o *Options) error {
			o.Env = func() (env.Environment, error) { return fake, nil }
			return Run(t.Context(), o)
		})
		cmd.SetArgs(args)
		cmd.SetOut(out)
		cmd.SetErr(errOut)
		return fake, cmd.Execute()
	}
	fake, err := run(false, "", "--kill")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("--kill without --yes and no terminal: %v, want a usage error", err)
	}
	if _, built := fake.Called("BuildBackend"); built {
		t.Fatal("the build ran before the confirmation was refused")
	}
	if _, err := run(true, "staging\n", "--kill"); err == nil {
		t.Fatal("a wrong environment name was taken as a confirmation")
	}
	// Confirmed (typed, or --yes): it goes on, here to the build the fake refuses.
	for _, c := range []struct {
		answer string
		args   []string
	}{{"prod\n", []string{"--kill"}}, {"", []string{"--kill", "--yes"}}} {
		fake, _ := run(c.answer != "", c.answer, c.args...)
		if _, built := fake.Called("BuildBackend"); !built {
			t.Fatalf("%v: confirmed, yet the verification did not go on", c.args)
		}
	}
	if _, err := run(false, "", "--rollouts", "0"); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("--rollouts 0: %v, want a usage error", err)
	}
}
