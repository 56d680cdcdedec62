package root

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/iostreams"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: "local", Output: cmdutil.OutputText, Dir: "."}}
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestVersionText(t *testing.T) {
	out, _, err := run(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "empctl ") {
		t.Fatalf("unexpected output %q", out)
	}
}

func TestVersionJSON(t *testing.T) {
	out, _, err := run(t, "version", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, GoVersion string }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if v.Version == "" || v.GoVersion == "" {
		t.Fatalf("missing fields in %s", out)
	}
}

func TestBadOutputIsUsageError(t *testing.T) {
	_, _, err := run(t, "version", "-o", "yaml")
	if got := cmdutil.ExitCode(err); got != cmdutil.ExitUsage {
		t.Fatalf("exit code %d, want %d (err %v)", got, cmdutil.ExitUsage, err)
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	_, _, err := run(t, "version", "--nope")
	if got := cmdutil.ExitCode(err); got != cmdutil.ExitUsage {
		t.Fatalf("exit code %d, want %d (err %v)", got, cmdutil.ExitUsage, err)
	}
	if !strings.Contains(err.Error(), "--help") {
		t.Fatalf("error should point at --help: %v", err)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, _, err := run(t, "completion", shell)
		if err != nil {
			t.Fatalf("%s: %v", shell, err)
		}
		if !strings.Contains(out, "empctl") {
			t.Fatalf("%s completion does not mention empctl", shell)
		}
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	_, _, err := run(t, "deploi")
	if got := cmdutil.ExitCode(err); got != cmdutil.ExitUsage {
		t.Fatalf("exit code %d, want %d (err %v)", got, cmdutil.ExitUsage, err)
	}
}

func TestTyposAreUsageErrorsWithSuggestions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		suggest string
	}{
		{[]string{"staus"}, "status"},
		{[]string{"deploy", "backnd"}, "backend"},
		{[]string{"deploy", "frontent"}, "frontend"},
		{[]string{"rollback", "extra-arg"}, ""},
		{[]string{"status", "prod"}, ""},
	} {
		out, _, err := run(t, tc.args...)
		if got := cmdutil.ExitCode(err); got != cmdutil.ExitUsage {
			t.Errorf("%v: exit code %d, want %d (err %v, out %q)", tc.args, got, cmdutil.ExitUsage, err, out)
			continue
		}
		if tc.suggest != "" && !strings.Contains(err.Error(), "Did you mean this?\n\t"+tc.suggest) {
			t.Errorf("%v: no suggestion of %q in %q", tc.args, tc.suggest, err)
		}
		if !strings.Contains(err.Error(), "--help") {
			t.Errorf("%v: error should point at --help: %v", tc.args, err)
		}
	}
}
