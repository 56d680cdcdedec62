// Package cmdutil holds what every empctl command shares: the global options,
// injected dependencies, output helpers and exit codes.
package cmdutil

import (
	"encoding/json"
	"fmt"

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
type Factory struct {
	IOStreams *iostreams.IOStreams
	Global    *GlobalOptions
}

// New returns the factory for a real process.
func New() *Factory {
	return &Factory{IOStreams: iostreams.System(), Global: &GlobalOptions{Env: "local", Output: OutputText, Dir: "."}}
}

// JSON reports whether the user asked for --output json.
func (f *Factory) JSON() bool { return f.Global.Output == OutputJSON }

// PrintJSON writes v as indented JSON to stdout.
func (f *Factory) PrintJSON(v any) error {
	enc := json.NewEncoder(f.IOStreams.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON output: %w", err)
	}
	return nil
}
