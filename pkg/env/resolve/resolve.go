// Package resolve turns the --env flag into an env.Environment: the single
// place that knows which environments exist.
package resolve

import (
	"path/filepath"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local"
)

// Local is the name of the environment on this machine, the default.
const Local = config.LocalEnv

// LocalStateDir is where the local environment keeps its state for the
// project in dir: logs, builds, the web releases and the control socket.
func LocalStateDir(dir string) string { return config.EnvDir(dir, Local) }

// Environment returns the environment called name for the project in dir.
func Environment(name, dir string) (env.Environment, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	switch name {
	case "", Local:
		return local.NewEnv(abs, LocalStateDir(abs)), nil
	default:
		cfg, err := config.Load(abs)
		if err != nil {
			return nil, err
		}
		ec, err := cfg.Env(name)
		if err != nil {
			return nil, err
		}
		outputs, err := config.LoadOutputs(abs, name)
		if err != nil {
			return nil, err
		}
		e, err := awsenv.New(abs, ec, outputs)
		if err != nil {
			return nil, err
		}
		e.ImageFiles = cfg.ImageFiles()
		return e, nil
	}
}
