// Package backend implements `empctl deploy backend`.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/rollout"
)

type Options struct {
	IO      *iostreams.IOStreams
	JSON    bool
	Verbose bool
	Env     func() (env.Environment, error)

	Force  bool
	DryRun bool
	SetEnv []string
	Deploy env.DeployOptions

	// Strategy holds the progressive-delivery flags as given (flags names
	// those that were); DefaultStrategy reads empctl.yaml's deploy.strategy;
	// NewGate builds the gate.
	Strategy        rollout.Config
	flags           *pflag.FlagSet
	DefaultStrategy func() (string, error)
	NewGate         GateFactory
}

func NewCmdBackend(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment, NewGate: newGate,
		DefaultStrategy: func() (string, error) { return shared.ConfiguredStrategy(f.Global.Dir, f.Global.Env) }}
	cmd := &cobra.Command{
		Use:   "backend",
		Short: "Build the API server and roll it out with zero downtime",
		Long: `Build the API server from the sources and roll it out the way ECS does with
minimum healthy 100 % and maximum 200 %: a full set of new replicas starts next
to the old ones, and the old ones are drained and stopped only once every new
one passes its health checks. If a new replica is not healthy within the grace
period, the rollout fails (exit 3), the new replicas are stopped and the old
version keeps serving.

On the local environment this talks to the running ` + "`empctl up`" + `.

On AWS the server image is built without Docker (linux/amd64 and linux/arm64),
pushed to ECR, and a new task definition revision (the family's latest, with
only the image replaced, pinned by digest) is rolled out to the ECS service.
The rollout is watched until ECS reports it successful; a rollout the circuit
breaker rolled back exits 3 and says why. Past --timeout it is rolled back
(unless --no-rollback). Ctrl-C stops watching; the deployment goes on in ECS.

Progressive delivery (--strategy, or deploy.strategy in empctl.yaml): the new
version starts beside the old as a second target group and is promoted only
by what clients see. Before any production traffic reaches it, the gate sends
a verification load through a test route that reaches only the new version;
then production traffic moves to it (blue-green: all at once; canary:
--canary-percent, then the rest; linear: --step-percent at a time) while the
gate watches each version's errors for each step's bake and the final --bake.
A failed check rolls back at once (exit 3: all traffic returns to the old
version, which still runs); so does Ctrl-C (exit 130: no one vouched for it)
and ` + "`empctl rollback`" + ` from another terminal. Values outside ECS's limits are
refused (exit 2). Locally the bakes last seconds; on AWS, minutes (ECS bakes in
whole minutes: shorter bakes are rounded up), and the environment must have been
provisioned with progressive_delivery.

--dry-run builds and decides exactly as the deploy does, changing nothing:
the build that is running is "nothing to deploy" (as the deploy says),
--force plans a redeploy under a new version, a changed build a rollout
(with --strategy, the strategy and its traffic shifts).

JSON (-o json; the full shape is in
pkg/cmd/deploy/backend/testdata/deploy-backend.golden):
  a rollout that ran: {version, previousVersion, outcome: "completed" or
    "failed", reason, started, finished, revision, previousRevision, image,
    failedTarget, logs, strategy, verdicts}
  no rollout ran: {outcome: "unchanged" (the build is running; exit 0) or
    "failed" (e.g. the push failed; exit 1), deployed: false, version,
    digest, reason}
  --dry-run: {env, action: "rollout", "redeploy" or "unchanged", reason,
    version, artifact, current, steps: [...], diff, strategy}
  Progress goes to stderr as JSON lines (env.Event).`,
		Example: `  empctl deploy backend
  empctl deploy backend --force                 # redeploy the same build as a new version
  empctl deploy backend --dry-run               # build and show what would change
  empctl deploy backend --env prod --timeout 30m
  empctl deploy backend --env prod -o json | jq .outcome
  empctl deploy backend --strategy canary       # 10 % first, then the rest
  empctl deploy backend --strategy linear --step-percent 20 --step-bake 10s
  empctl deploy backend --strategy blue-green --bake 30s -o json 2>events.jsonl
  empctl deploy backend --env prod --strategy canary --canary-percent 10 --canary-bake 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Verbose = f.JSON(), f.Global.Verbose
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "redeploy even when the build is the one running (as a new version)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "build, then print what would be deployed without deploying")
	cmd.Flags().StringArrayVar(&opts.SetEnv, "set-env", nil, "add KEY=VALUE to the new replicas' environment (repeatable)")
	shared.AddWatchFlags(cmd, &opts.Deploy)
	shared.BindStrategyFlags(cmd.Flags(), &opts.Strategy)
	opts.flags = cmd.Flags()
	_ = cmd.RegisterFlagCompletionFunc("strategy", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names := make([]string, len(rollout.Strategies))
		for i, s := range rollout.Strategies {
			names[i] = string(s)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func Run(ctx context.Context, opts *Options) error {
	extra := map[string]string{}
	for _, kv := range opts.SetEnv {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("--set-env wants KEY=VALUE, not %q", kv)
		}
		extra[k] = v
	}
	e, err := opts.Env()
	if err != nil {
		return err
	}
	def, err := opts.DefaultStrategy()
	if err != nil {
		return err
	}
	cfg, err := shared.ResolveStrategy(opts.flags, opts.Strategy, e.Name() == config.LocalEnv, def)
	if err != nil {
		return err
	}
	if cfg.Strategy.Progressive() {
		// A rolling deploy keeps its zero strategy: it runs as it always has.
		if opts.Deploy.Gate, err = opts.NewGate(ctx, cfg.Gate, e, opts.IO.ErrOut); err != nil {
			return err
		}
		opts.Deploy.Strategy = cfg
	}
	if _, err := e.Status(ctx); err != nil {
		return err
	}
	errOut := opts.IO.ErrOut
	// A failed server build's error carries the compiler's output; the rest
	// of the build output is shown with --verbose only.
	log := io.Discard
	if opts.Verbose {
		log = errOut
	}
	fmt.Fprintf(errOut, "Building the server...\n")
	rel, err := e.BuildBackend(ctx, env.BuildOptions{Force: opts.Force, Env: extra}, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(errOut, "Built %s (%s)\n", rel.Version, rel.Digest)
	if opts.DryRun {
		plan, err := e.PlanBackend(ctx, rel)
		if err != nil {
			return err
		}
		shared.PlanStrategy(&plan, cfg)
		if plan.Steps == nil {
			plan.Steps = []string{} // a list in JSON, empty when nothing would be deployed
		}
		if opts.JSON {
			return cmdutil.PrintJSON(opts.IO.Out, plan)
		}
		PrintPlan(opts.IO.Out, plan)
		return nil
	}
	ro, err := e.DeployBackend(ctx, rel, opts.Deploy, shared.Progress(opts.IO, opts.JSON))
	if errors.Is(err, env.ErrSameBuild) {
		if opts.JSON {
			return cmdutil.PrintJSON(opts.IO.Out, notRolledOut{Outcome: env.OutcomeUnchanged, Version: rel.Version, Digest: rel.Digest, Reason: err.Error()})
		}
		fmt.Fprintf(errOut, "%v\n", err)
		return nil
	}
	if err != nil && ro.Outcome == "" && opts.JSON {
		// No rollout ran (a push or an API call failed): the answer still
		// has an outcome, and the exit code says the rest.
		if perr := cmdutil.PrintJSON(opts.IO.Out, notRolledOut{Outcome: env.OutcomeFailed, Version: rel.Version, Digest: rel.Digest, Reason: err.Error()}); perr != nil {
			return perr
		}
	}
	return shared.FinishRollout(opts.IO, opts.JSON, ro, err)
}

// notRolledOut is the JSON answer when no rollout ran: the build is the one
// already running (outcome "unchanged"), or the deploy failed before its
// rollout started (outcome "failed").
type notRolledOut struct {
	Outcome  string `json:"outcome"`
	Deployed bool   `json:"deployed"`
	Version  string `json:"version"`
	Digest   string `json:"digest"`
	Reason   string `json:"reason"`
}

// PrintPlan writes what a dry run found: what the deploy would do, decided
// as the deploy decides.
func PrintPlan(w io.Writer, p env.Plan) {
	fmt.Fprintf(w, "Dry run: nothing was pushed or changed.\n")
	if p.Action == env.ActionUnchanged {
		fmt.Fprintf(w, "Would deploy nothing to %s: %s\n", p.Env, p.Reason)
		return
	}
	verb := "deploy"
	if p.Action == env.ActionRedeploy {
		verb = "redeploy (forced)"
	}
	how := ""
	if p.Strategy != "" {
		how = " as a " + string(p.Strategy) + " rollout"
	}
	fmt.Fprintf(w, "Would %s %s to %s%s\n  artifact: %s\n", verb, p.Version, p.Env, how, p.Artifact)
	if p.Current != "" {
		fmt.Fprintf(w, "  serving now: %s\n", p.Current)
	}
	for i, s := range p.Steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	if p.Diff != "" {
		fmt.Fprintf(w, "\n%s", p.Diff)
	}
}
