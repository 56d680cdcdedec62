package tf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
)

// Files in the working directory.
const (
	VarsFile  = "terraform.tfvars.json"
	PlanFile  = "plan.tfplan"
	StateFile = "terraform.tfstate"
	dataDir   = "terraform-data"
)

// interruptWait is how long Terraform may take to stop after it is
// interrupted before it is killed. Terraform finishes the operations in
// flight and saves state, and creating an RDS instance alone takes minutes,
// so this is long: killing Terraform early is what corrupts state.
const interruptWait = 30 * time.Minute

// Options configure a Runner.
type Options struct {
	// ExecPath is the terraform or tofu binary (see FindBinary).
	ExecPath string
	// ModuleDir holds the configuration, e.g. the repository's terraform/.
	ModuleDir string
	// WorkDir keeps this environment's data apart from other environments':
	// Terraform's data directory, the variables and plan files and, with the
	// local backend, the state.
	WorkDir string
	// Vars are the input variables, written to WorkDir/terraform.tfvars.json.
	Vars map[string]any
	// Backend holds -backend-config settings. With the local backend and no
	// path, state goes to WorkDir/terraform.tfstate.
	Backend map[string]string
	// Stdout and Stderr receive Terraform's own output as it runs; nil discards it.
	Stdout, Stderr io.Writer
}

// Runner runs Terraform for one module and one environment.
type Runner struct {
	tf   *tfexec.Terraform
	opts Options
	// streamed is set when Terraform's stderr goes to the caller.
	streamed bool
}

// New checks the options and prepares the working directory.
func New(opts Options) (*Runner, error) {
	var err error
	if opts.ModuleDir, err = filepath.Abs(opts.ModuleDir); err != nil {
		return nil, err
	}
	if opts.WorkDir, err = filepath.Abs(opts.WorkDir); err != nil {
		return nil, err
	}
	if st, err := os.Stat(opts.ModuleDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("terraform configuration directory %s not found: run empctl from the project root or pass --dir", opts.ModuleDir)
	}
	if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", opts.WorkDir, err)
	}
	tf, err := tfexec.NewTerraform(opts.ModuleDir, opts.ExecPath)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	env["TF_DATA_DIR"] = filepath.Join(opts.WorkDir, dataDir)
	if _, ok := env["CHECKPOINT_DISABLE"]; !ok {
		env["CHECKPOINT_DISABLE"] = "1" // no update check calls to HashiCorp on every run
	}
	if err := tf.SetEnv(tfexec.CleanEnv(env)); err != nil {
		return nil, err
	}
	// On context cancellation terraform-exec sends SIGINT (Terraform's graceful
	// stop) and only kills the process after this delay.
	if err := tf.SetWaitDelay(interruptWait); err != nil {
		return nil, err
	}
	streamed := opts.Stderr != nil
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	tf.SetStdout(opts.Stdout)
	tf.SetStderr(opts.Stderr)
	return &Runner{tf: tf, opts: opts, streamed: streamed}, nil
}

// Version is the binary's version ("1.5.7"). terraform-exec runs `terraform
// version -json` once before its first command and writes that JSON to the
// progress writer; asked here first, quietly, it is cached and never shown.
func (r *Runner) Version(ctx context.Context) (string, error) {
	var v string
	err := r.quiet(func() error {
		ver, _, err := r.tf.Version(ctx, false)
		if err == nil {
			v = ver.String()
		}
		return err
	})
	return v, r.wrap(ctx, "version", err)
}

// Init writes the variables file and runs `terraform init` with the backend settings.
func (r *Runner) Init(ctx context.Context) error {
	if _, err := r.Version(ctx); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r.opts.Vars, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding Terraform variables: %w", err)
	}
	if err := os.WriteFile(r.path(VarsFile), data, 0o644); err != nil {
		return fmt.Errorf("writing Terraform variables: %w", err)
	}
	backend, err := r.backendConfig()
	if err != nil {
		return err
	}
	opts := []tfexec.InitOption{tfexec.Upgrade(false)}
	for _, kv := range backend {
		opts = append(opts, tfexec.BackendConfig(kv))
	}
	return r.wrap(ctx, "init", r.tf.Init(ctx, opts...))
}

// backendConfig is the -backend-config list, sorted for a stable command line.
func (r *Runner) backendConfig() ([]string, error) {
	settings := map[string]string{}
	for k, v := range r.opts.Backend {
		settings[k] = v
	}
	typ, err := BackendType(r.opts.ModuleDir)
	if err != nil {
		return nil, err
	}
	if typ == "local" && settings["path"] == "" {
		// Relative to the module, so moving the project does not look like a
		// backend change to Terraform.
		rel, err := filepath.Rel(r.opts.ModuleDir, r.path(StateFile))
		if err != nil {
			return nil, err
		}
		settings["path"] = rel
	}
	if typ != "local" && len(settings) == 0 {
		return nil, fmt.Errorf("%s uses the %q backend but this environment has no backend settings: add them under the environment's backend: in empctl.yaml", r.opts.ModuleDir, typ)
	}
	list := make([]string, 0, len(settings))
	for k, v := range settings {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list, nil
}

// Plan is a saved plan and what it would do.
type Plan struct {
	Path    string
	Destroy bool
	Summary Summary
}

// Plan runs `terraform plan` (or `plan -destroy`) into a saved plan file and summarizes it.
func (r *Runner) Plan(ctx context.Context, destroy bool) (*Plan, error) {
	planPath := r.path(PlanFile)
	_, err := r.tf.Plan(ctx,
		tfexec.VarFile(r.path(VarsFile)),
		tfexec.Out(planPath),
		tfexec.Destroy(destroy),
	)
	if err := r.wrap(ctx, "plan", err); err != nil {
		_ = os.Remove(planPath)
		return nil, err
	}
	var shown *tfjson.Plan
	err = r.quiet(func() error {
		var err error
		shown, err = r.tf.ShowPlanFile(ctx, planPath)
		return err
	})
	if err := r.wrap(ctx, "show", err); err != nil {
		_ = os.Remove(planPath)
		return nil, err
	}
	return &Plan{Path: planPath, Destroy: destroy, Summary: summarize(shown)}, nil
}

// Apply applies exactly the saved plan, so what was shown is what runs, then
// deletes the plan file. Terraform rejects a plan made stale by a newer apply.
func (r *Runner) Apply(ctx context.Context, p *Plan) error {
	defer r.Discard(p)
	return r.wrap(ctx, "apply", r.tf.Apply(ctx, tfexec.DirOrPlan(p.Path)))
}

// Discard deletes a plan file that will not be applied.
func (r *Runner) Discard(p *Plan) {
	if p != nil {
		_ = os.Remove(p.Path)
	}
}

// Outputs returns the root module's outputs as JSON values. Sensitive outputs
// are left out, so they never reach a file.
func (r *Runner) Outputs(ctx context.Context) (map[string]json.RawMessage, error) {
	var meta map[string]tfexec.OutputMeta
	err := r.quiet(func() error {
		var err error
		meta, err = r.tf.Output(ctx)
		return err
	})
	if err := r.wrap(ctx, "output", err); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(meta))
	for name, m := range meta {
		if !m.Sensitive {
			out[name] = m.Value
		}
	}
	return out, nil
}

// quiet runs a command whose stdout is JSON for us, not progress for the user.
func (r *Runner) quiet(fn func() error) error {
	r.tf.SetStdout(io.Discard)
	defer r.tf.SetStdout(r.opts.Stdout)
	return fn()
}

func (r *Runner) path(name string) string { return filepath.Join(r.opts.WorkDir, name) }

// InterruptedError reports that Terraform was stopped through the context. It
// was sent an interrupt and allowed to finish cleanly, so state is consistent.
type InterruptedError struct {
	Command string
	Err     error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("terraform %s interrupted; Terraform stopped cleanly and saved its state: run the command again to continue", e.Command)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

func (r *Runner) wrap(ctx context.Context, command string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return &InterruptedError{Command: command, Err: errors.Join(ctx.Err(), err)}
	}
	if r.streamed {
		// Terraform's messages already went to the caller's Stderr; the
		// error's copy of them would only repeat them.
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("terraform %s failed (%s): see Terraform's messages above", command, first)
	}
	return fmt.Errorf("terraform %s failed: %w", command, err)
}
