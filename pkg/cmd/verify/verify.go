// Package verify implements `empctl verify-zero-downtime`.
package verify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmd/provision"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/gate"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/rollout"
	"github.com/empctl/empctl/pkg/trafficmix"
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
	Duration  time.Duration
	Timeout   time.Duration
	Rollouts  int
	Rollback  bool
	Kill      bool
	Yes       bool
	ReportDir string
	// Target, when set, replaces the environment's public entry point.
	Target string
	// SetEnv adds KEY=VALUE to the new replicas' environment (tests use it
	// to deploy a broken release).
	SetEnv map[string]string
	// Report, when set, receives the report (tests).
	Report func(*loadtest.Report)
	// Deploy are the rollouts' and the rollback's watch options (tests
	// shorten ECS's 5 s poll).
	Deploy env.DeployOptions
	// Strategy resolves the rollouts' strategy for the environment (local
	// or not) from the flags; nil is a rolling deploy.
	Strategy func(local bool) (rollout.Config, error)
}

func NewCmdVerify(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	var strategy rollout.Config // the strategy flags, as given
	cmd := &cobra.Command{
		Use:   "verify-zero-downtime",
		Short: "Prove that rollouts, a rollback and a killed task drop no request and lose no write",
		Long: `Drive constant-rate load through the environment's public entry point (a mix
of GET /api/version, an authenticated GET /api/me, the webapp's index.html,
sign-ups and profile updates; the sign-ups, 12 at most to stay under the
app's sign-up throttle, are spread over the warm-up, each rollout, the kill,
the rollback and the cool-down), and under it: --rollouts backend rollouts (the
same build redeployed as a new version), with --kill one serving target killed
without warning during the first (or, if it is over too soon, the next), and
with --rollback a rollback at the end.
The load stays on through a cool-down and for at least --duration in all.

Then every acknowledged write is audited through the API: each sign-up must
be stored with its name, each profile must hold its last acknowledged update,
and nothing may be acknowledged twice. The users the run creates are named
with a marker (zd-<hex>) that the report gives; their password is random and
never shown, and at the end (or when the run ends early: a failed deploy,
Ctrl-C) each is locked: its password is replaced by a random one nobody
keeps and its sessions are revoked.

The verdict passes only with zero failed requests, zero lost or duplicated
writes, every rollout completed, and the last one's version answering every
request at the end. The exit code is 0 only then (3 when it fails).
report.json and report.html (a timeline chart with latency and a marker for
each action) are written under .empctl/reports/<timestamp>/.

--strategy (and the other flags of deploy backend's strategies) runs the
rollouts and the rollback that way; a progressive strategy's gate sends its
own test traffic through the test route (3 sign-ups per rollout) and probes
each production step, and the report plots the production weight on the new
version beside the latency, and names each rollout's strategy and the gate's
verdicts.

--kill on an AWS environment stops a running task (ECS StopTask) and asks for
confirmation unless --yes is given.

JSON (-o json; the full shape is in
pkg/cmd/verify/testdata/verify.golden): stdout carries
only the report, as report.json has it: {verdict, reasons, env, endpoint,
rate, started, ended, targets, requests, succeeded, failed, failures,
versions, finalVersions, expectedVersion, latency, timeline, rollout,
actions, writes, weights}. Progress goes to stderr: the rollouts' events as
JSON lines, the phases as plain lines. Each rollout is announced by an event
"Rollout n: deploying V", V being the version it rolls out (the same build
redeployed runs under a new version: V+r2 locally, V+r<time> on AWS).`,
		Example: `  empctl verify-zero-downtime
  empctl verify-zero-downtime --rate 200 --rollouts 3 --rollback --kill
  empctl verify-zero-downtime --duration 2m
  empctl verify-zero-downtime --strategy canary --rollouts 2 --rollback --kill
  empctl verify-zero-downtime --env prod --rate 50 --rollouts 2
  empctl verify-zero-downtime --env prod --target http://internal-alb.example:80   # from inside the VPC
  empctl verify-zero-downtime --output json | jq .writes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Verbose, opts.Dir = f.JSON(), f.Global.Verbose, f.Global.Dir
			if opts.Rate < 1 {
				return cmdutil.FlagErrorf("--rate must be at least 1 request per second")
			}
			if opts.Rollouts < 1 {
				return cmdutil.FlagErrorf("--rollouts must be at least 1")
			}
			opts.Strategy = func(local bool) (rollout.Config, error) {
				configured, err := shared.ConfiguredStrategy(f.Global.Dir, f.Global.Env)
				if err != nil {
					return rollout.Config{}, err
				}
				return shared.ResolveStrategy(cmd.Flags(), strategy, local, configured)
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	shared.BindStrategyFlags(fl, &strategy)
	fl.IntVar(&opts.Rate, "rate", 100, "requests per second")
	fl.DurationVar(&opts.Warmup, "warmup", 5*time.Second, "load before the first rollout starts")
	fl.DurationVar(&opts.Cooldown, "cooldown", 5*time.Second, "load after the last rollout has completed")
	fl.DurationVar(&opts.Duration, "duration", 0, "the least time the load runs in all (the cool-down is stretched to reach it)")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "each request's timeout")
	fl.IntVar(&opts.Rollouts, "rollouts", 1, "consecutive backend rollouts under the load")
	fl.BoolVar(&opts.Rollback, "rollback", false, "roll back under the load after the rollouts")
	fl.BoolVar(&opts.Kill, "kill", false, "during the first rollout (the next if it is over too soon), kill one serving target without warning")
	fl.BoolVar(&opts.Yes, "yes", false, "do not ask before --kill stops a task of an AWS environment")
	fl.StringVar(&opts.Target, "target", "", "send the load to this base URL instead of the environment's entry point (AWS: the CloudFront domain), e.g. the ALB from inside the VPC")
	fl.StringVar(&opts.ReportDir, "report-dir", "", "where to write report.json and report.html (default .empctl/reports/<timestamp>)")
	return cmd
}

// mixOptions is the run's request mix: a reader and 6 writers, and 12
// sign-ups spread over the run's phases, 19 sign-ups in all: under the app's
// throttle of 20 per client address per hour even without the operator key.
var mixOptions = trafficmix.Options{Prefix: "zd", Writers: 6, SignUps: 12}

func Run(ctx context.Context, opts *Options) error {
	errOut := opts.IO.ErrOut
	e, err := opts.Env()
	if err != nil {
		return err
	}
	if opts.Kill {
		if err := confirmKill(ctx, opts, e); err != nil {
			return err
		}
	}
	// The run's sign-ups and sign-ins, and its gates', count against the
	// operator allowance, not this machine's address.
	operator := shared.OperatorHeader(ctx, e, errOut)
	if err := useStrategy(opts, e, operator); err != nil {
		return err
	}
	endpoint, err := e.Endpoint(ctx)
	if err != nil {
		return err
	}
	if opts.Target != "" {
		u, err := url.Parse(opts.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cmdutil.FlagErrorf("--target %q: give a base URL such as https://d123.cloudfront.net", opts.Target)
		}
		endpoint = strings.TrimSuffix(opts.Target, "/")
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
	mo := mixOptions
	mo.Header = operator
	mix, err := trafficmix.Prepare(ctx, endpoint, mo)
	if err != nil {
		return err
	}
	for _, s := range mix.Skipped {
		fmt.Fprintf(errOut, "Note: skipping %s\n", s)
	}

	fmt.Fprintf(errOut, "Load: %d requests/s; warm-up %s; writes marked %s\n", opts.Rate, opts.Warmup, mix.Marker())
	mix.Schedule(runPhases(opts.Rollouts, opts.Kill, opts.Rollback), phaseRank)
	mix.Enter(phaseWarmup)
	run := loadtest.Start(loadtest.Options{Rate: opts.Rate, Targets: mix.Targets, Timeout: opts.Timeout, OnResult: mix.Record})
	// The run's users exist from here on: whatever ends the run (a failed
	// deploy, Ctrl-C), the load stops and they are locked.
	var locked, accounts int
	lockOnce := sync.OnceFunc(func() {
		run.Stop() // no sign-up may follow the lock
		fmt.Fprintln(errOut, "Locking the run's test users...")
		locked, accounts = mix.Lock(ctx)
		if locked < accounts {
			fmt.Fprintf(errOut, "Warning: %d of the run's %d test users could not be locked: find them by the marker %s in their e-mail (%s-...@example.com) and remove them\n",
				accounts-locked, accounts, mix.Marker(), mix.Marker())
		}
	})
	defer lockOnce()
	started := time.Now()
	if err := sleep(ctx, opts.Warmup); err != nil {
		return err
	}
	weights := &weightLog{}
	sc := &scenario{e: e, rel: rel, run: run, errOut: errOut, progress: weights.tee(shared.Progress(opts.IO, opts.JSON)), deploy: opts.Deploy, enter: mix.Enter}
	for i := 1; i <= opts.Rollouts && !sc.failed(); i++ {
		if err := sc.rollout(ctx, i, opts.Kill && !sc.killDone, i == opts.Rollouts); err != nil {
			return err
		}
	}
	if opts.Rollback && !sc.failed() {
		if err := sc.rollback(ctx); err != nil {
			return err
		}
	}
	cool := max(opts.Cooldown, opts.Duration-time.Since(started))
	fmt.Fprintf(errOut, "Cool-down %s...\n", cool.Round(100*time.Millisecond))
	mix.Enter(phaseCooldown)
	if err := sleep(ctx, cool); err != nil {
		return err
	}
	res := run.Stop()

	fmt.Fprintln(errOut, "Auditing the writes...")
	writes := mix.Audit(ctx)
	lockOnce()
	writes.Locked, writes.Accounts = locked, accounts
	writes.SignUps = mix.SignUpsByPhase()
	rep := res.Build(loadtest.Info{Env: e.Name(), Endpoint: endpoint, Rollout: sc.last, Actions: sc.actions, Writes: writes,
		Targets: mix.Names(), Skipped: mix.Skipped, Weights: weights.points()})
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
		cs := opts.IO.ColorScheme()
		loadtest.WriteText(opts.IO.Out, cs, rep)
		if sc.failed() {
			fmt.Fprintln(opts.IO.Out)
			shared.PrintRollout(opts.IO.Out, cs, *sc.last)
		}
	}
	fmt.Fprintf(errOut, "Report: %s\n", filepath.Join(dir, "report.html"))
	if rep.Verdict != loadtest.VerdictPass {
		return cmdutil.VerdictFailed(fmt.Errorf("zero-downtime verification failed: %v", rep.Reasons))
	}
	return nil
}

// useStrategy puts the strategy into the rollouts' and the rollback's deploy
// options, with a gate when it is progressive.
func useStrategy(opts *Options, e env.Environment, operator http.Header) error {
	if opts.Strategy == nil {
		return nil
	}
	cfg, err := opts.Strategy(e.Name() == config.LocalEnv)
	if err != nil {
		return err
	}
	opts.Deploy.Strategy = cfg
	if cfg.Strategy.Progressive() {
		opts.Deploy.Gate = gate.New(cfg.Gate, gate.WithHeader(operator))
	}
	return nil
}

// confirmKill asks before --kill stops a task of a remote environment: on
// the local stack it only kills a replica that is replaced at once.
func confirmKill(ctx context.Context, opts *Options, e env.Environment) error {
	if opts.Yes || e.Name() == "local" {
		return nil
	}
	if !opts.IO.IsStdinTTY() {
		return cmdutil.FlagErrorf("--kill stops a running task of %s without warning; confirm with --yes (no terminal to ask on)", e.Name())
	}
	answer, err := provision.Ask(ctx, opts.IO, fmt.Sprintf("--kill stops one running task of %s without warning during the rollout.\nType the environment's name to go on: ", e.Name()))
	if err != nil {
		return err
	}
	if answer != e.Name() {
		return fmt.Errorf("%q is not %q: nothing was started", answer, e.Name())
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
