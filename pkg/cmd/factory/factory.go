// Package factory wires the real dependencies of every empctl command: the
// process's streams and the environment --env names.
package factory

import (
	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/resolve"
	"github.com/empctl/empctl/pkg/iostreams"
)

// New returns the factory for a real process. The environment is resolved
// lazily, after flag parsing has set --env and --dir.
func New() *cmdutil.Factory {
	f := &cmdutil.Factory{
		IOStreams: iostreams.System(),
		Global:    &cmdutil.GlobalOptions{Env: resolve.Local, Output: cmdutil.OutputText, Dir: "."},
	}
	f.Environment = func() (env.Environment, error) {
		e, err := resolve.Environment(f.Global.Env, f.Global.Dir)
		if a, ok := e.(*awsenv.Env); ok && f.Global.Verbose {
			a.Verbose = f.IOStreams.ErrOut
		}
		return e, err
	}
	return f
}
