// Package verify implements `empctl verify-zero-downtime`.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/loadtest"
)

type Options struct {
	IO      *iostreams.IOStreams
	JSON    bool
	Verbose bool
	Env     func() (env.Environment, error)
	// Dir is the project directory; reports go to Dir/.empctl/reports/<timestamp>/.
	Dir string

	Rate      int
	Warmup    time.Duration
	Cooldown  time.Duration
	Timeout   time.Duration
	ReportDir string
	// SetEnv adds KEY=VALUE to the new replicas' environment (tests use it
	// to deploy a broken release).
	SetEnv map[string]string
	// Report, when set, receives the report (tests).
	Report func(*loadtest.Report)
}

func NewCmdVerify(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	cmd := &cobra.Command{
		Use:   "verify-zero-downtime",
		Short: "Prove that a backend rollout drops no request",
		Long: `Drive constant-rate load through the environment's public entry point (a mix
of GET /api/version, an authenticated GET /api/me and the webapp's index.html),
trigger ` + "`deploy backend`" + ` after a warm-up (a new build, or the same build
redeployed as a new version), keep the load on until the rollout has completed
and a cool-down has passed, then report.

The verdict passes only with zero failed requests and the new version answering
every request at the end. The exit code is 0 only then (3 when it fails).
report.json and report.html (with a timeline chart) are written under
.empctl/reports/<timestamp>/.`,
		Example: `  empctl verify-zero-downtime
  empctl verify-zero-downtime --rate 200
  empctl verify-zero-downtime --output json | jq .verdict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Verbose, opts.Dir = f.JSON(), f.Global.Verbose, f.Global.Dir
			if opts.Rate < 1 {
				return cmdutil.FlagErrorf("--rate must be at least 1 request per second")
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Rate, "rate", 100, "requests per second")
	fl.DurationVar(&opts.Warmup, "warmup", 5*time.Second, "load before the rollout starts")
	fl.DurationVar(&opts.Cooldown, "cooldown", 5*time.Second, "load after the rollout has completed")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "each request's timeout")
	fl.StringVar(&opts.ReportDir, "report-dir", "", "where to write report.json and report.html (default .empctl/reports/<timestamp>)")
	return cmd
}

func Run(ctx context.Context, opts *Options) error {
	errOut := opts.IO.ErrOut
	e, err := opts.Env()
	if err != nil {
		return err
	}
	endpoint, err := e.Endpoint(ctx)
	if err != nil {
		return err
	}

	// A failed server build's error carries the compiler's output; the rest
	// of the build output is shown with --verbose only.
	log := io.Discard
	if opts.Verbose {
		log = errOut
	}
	fmt.Fprintln(errOut, "Building the server (the same sources are redeployed as a new version)...")
	rel, err := e.BuildBackend(ctx, env.BuildOptions{Force: true, Env: opts.SetEnv}, log)
	if err != nil {
		return err
	}

	fmt.Fprintf(errOut, "Preparing the request mix against %s...\n", endpoint)
	mix, err := prepareMix(ctx, endpoint)
	if err != nil {
		return err
	}
	for _, s := range mix.skipped {
		fmt.Fprintf(errOut, "Note: skipping %s\n", s)
	}

	fmt.Fprintf(errOut, "Load: %d requests/s; warm-up %s\n", opts.Rate, opts.Warmup)
	run := loadtest.Start(loadtest.Options{Rate: opts.Rate, Targets: mix.targets, Timeout: opts.Timeout})
	defer run.Stop() // on an early return; harmless after the Stop below
	if err := sleep(ctx, opts.Warmup); err != nil {
		return err
	}

	fmt.Fprintf(errOut, "Deploying %s...\n", rel.Version)
	run.Mark(loadtest.PhaseDuring)
	ro, derr := e.DeployBackend(ctx, rel, env.DeployOptions{}, shared.Progress(opts.IO, opts.JSON))
	run.Mark(loadtest.PhaseAfter)
	if derr != nil && !errors.Is(derr, env.ErrRolloutFailed) {
		return fmt.Errorf("deploy: %w", derr)
	}
	fmt.Fprintf(errOut, "Cool-down %s...\n", opts.Cooldown)
	if err := sleep(ctx, opts.Cooldown); err != nil {
		return err
	}
	res := run.Stop()

	rep := res.Build(e.Name(), endpoint, &ro, mix.names(), mix.skipped)
	if opts.Report != nil {
		opts.Report(rep)
	}
	dir := opts.ReportDir
	if dir == "" {
		dir = filepath.Join(opts.Dir, ".empctl", "reports", rep.Started.UTC().Format("20060102T150405Z"))
	}
	if err := loadtest.Save(dir, rep); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if opts.JSON {
		if err := cmdutil.PrintJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(opts.IO.Out)
		loadtest.WriteText(opts.IO.Out, rep)
		if ro.Outcome == env.OutcomeFailed {
			fmt.Fprintln(opts.IO.Out)
			shared.PrintRollout(opts.IO.Out, ro)
		}
	}
	fmt.Fprintf(errOut, "Report: %s\n", filepath.Join(dir, "report.html"))
	if rep.Verdict != loadtest.VerdictPass {
		return cmdutil.VerdictFailed(fmt.Errorf("zero-downtime verification failed: %v", rep.Reasons))
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
