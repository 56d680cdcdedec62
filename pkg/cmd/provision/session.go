package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/tf"
)

// moduleDir is where the Terraform configuration lives in the project.
const moduleDir = "terraform"

// TerraformFlags choose the Terraform binary; provision and destroy share them.
type TerraformFlags struct {
	Path    string
	Install bool
}

// Register adds --terraform-path and --install-terraform to cmd.
func (fl *TerraformFlags) Register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&fl.Path, "terraform-path", "", "Terraform or OpenTofu binary to use (default: terraform, then tofu, from PATH)")
	cmd.Flags().BoolVar(&fl.Install, "install-terraform", false,
		"if no binary is found, download Terraform "+tf.PinnedVersion+" (verified) into the user cache directory")
}

// Session is an AWS environment ready for Terraform.
type Session struct {
	Env    config.Environment
	Dir    string
	Runner *tf.Runner
}

// Open loads the environment, finds (or installs) Terraform and runs init.
// Terraform's own output and the steps go to f's error stream, keeping stdout
// for the result.
func Open(ctx context.Context, f *cmdutil.Factory, fl TerraformFlags) (*Session, error) {
	dir := f.Global.Dir
	env, err := ResolveEnv(f)
	if err != nil {
		return nil, err
	}
	// Missing or expired credentials, an unknown region or an unreachable
	// endpoint are named now, in words, in seconds: Terraform's AWS provider
	// would say it after init, as a chain of the SDK's errors.
	if err := checkAWS(ctx, f, env); err != nil {
		return nil, err
	}
	execPath, err := findTerraform(ctx, f, fl)
	if err != nil {
		return nil, err
	}
	progress := f.IOStreams.ErrOut
	runner, err := tf.New(tf.Options{
		ExecPath:  execPath,
		ModuleDir: filepath.Join(dir, moduleDir),
		WorkDir:   config.EnvDir(dir, env.Name),
		Vars:      env.TerraformVars(),
		Backend:   env.BackendConfig(),
		Stdout:    progress,
		Stderr:    progress,
	})
	if err != nil {
		return nil, err
	}
	version, err := runner.Version(ctx)
	if err != nil {
		return nil, err
	}
	step(f, "Initializing Terraform for %s (%s, terraform %s at %s)", env.Name, env.Region, version, execPath)
	if err := runner.Init(ctx); err != nil {
		return nil, err
	}
	return &Session{Env: env, Dir: dir, Runner: runner}, nil
}

// ResolveEnv is the AWS environment --env names, with its variables checked
// against terraform/: everything that can make provision or destroy
// meaningless, for them to say before they ask anything.
func ResolveEnv(f *cmdutil.Factory) (config.Environment, error) {
	dir := f.Global.Dir
	cfg, err := config.Load(dir)
	if err != nil {
		return config.Environment{}, err
	}
	env, err := cfg.Env(f.Global.Env)
	if err != nil {
		return config.Environment{}, err
	}
	if env.IsLocal() {
		return config.Environment{}, cmdutil.FlagErrorf("the local environment runs on this machine and has no AWS infrastructure (`empctl up` starts it, `empctl down` stops it); pass --env with an environment from empctl.yaml")
	}
	if err := env.CheckVars(filepath.Join(dir, config.FileName), filepath.Join(dir, moduleDir)); err != nil {
		return config.Environment{}, err
	}
	return env, nil
}

// checkAWS makes the AWS environment's preflight (one STS call); -v names
// the account and identity it runs as.
func checkAWS(ctx context.Context, f *cmdutil.Factory, env config.Environment) error {
	e := &awsenv.Env{Config: env}
	if f.Global.Verbose {
		e.Verbose = f.IOStreams.ErrOut
	}
	_, err := e.AWSConfig(ctx)
	return err
}

func findTerraform(ctx context.Context, f *cmdutil.Factory, fl TerraformFlags) (string, error) {
	path, err := tf.FindBinary(fl.Path)
	if !errors.Is(err, tf.ErrNotFound) || !fl.Install {
		return path, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a directory to install Terraform into: %w", err)
	}
	dir := filepath.Join(cache, "empctl", "terraform-"+tf.PinnedVersion)
	step(f, "Installing Terraform %s into %s", tf.PinnedVersion, dir)
	return tf.Install(ctx, dir)
}

func step(f *cmdutil.Factory, format string, a ...any) {
	fmt.Fprintf(f.IOStreams.ErrOut, "==> "+format+"\n", a...)
}
