// Package cmdutil holds what every empctl command shares: the global options,
// injected dependencies, output helpers and exit codes.
package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// Output formats accepted by --output.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// GlobalOptions are the root command's persistent flags.
type GlobalOptions struct {
	Env     string
	Output  string
	Verbose bool
	// Dir is the project directory: where empctl.yaml and .empctl/ live.
	Dir string
}

// Factory carries the dependencies commands need, so tests can swap them.
// pkg/cmd/factory builds the real one.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Global    *GlobalOptions
	// Environment resolves --env (and --dir): the one place commands get it from.
	Environment func() (env.Environment, error)
}

// JSON reports whether the user asked for --output json.
func (f *Factory) JSON() bool { return f.Global.Output == OutputJSON }

// PrintJSON writes v as indented JSON to stdout.
func (f *Factory) PrintJSON(v any) error { return PrintJSON(f.IOStreams.Out, v) }

// PrintJSON writes v as indented JSON to w.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON output: %w", err)
	}
	return nil
}
