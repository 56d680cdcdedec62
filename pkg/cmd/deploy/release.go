package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/backend"
	"github.com/empctl/empctl/pkg/cmd/deploy/frontend"
	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local/build"
	"github.com/empctl/empctl/pkg/s3sync"
)

// ReleaseOptions are `empctl deploy`'s: both tiers as one release.
type ReleaseOptions struct {
	IO      *iostreams.IOStreams
	JSON    bool
	Verbose bool
	Env     func() (env.Environment, error)

	Force  bool
	DryRun bool
	Deploy env.DeployOptions
	// Frontend builds and publishes the webapp: its Dir, Build, NoBuild and
	// Publish options.
	Frontend *frontend.Options
}

const releaseLong = `Ship the API server and the webapp as one release: build both, roll the
backend out, and only once its rollout succeeded publish the webapp. One
summary (versions before and after, what each tier did, the total time) and
one exit code: 0 when both went out (or were already live), 3 when the
backend's rollout failed (nothing of the webapp was published), 1 for any
other failure, 130 when interrupted.

The order is the API first, then the app that may call its new endpoints.
It implies a rule for API changes: the API must stay backward-compatible for
one release, since the app of the release before runs against the new API
until the webapp is published, and in open tabs until they reload. Remove an
endpoint or a field only in the release after the app stopped using it.

If the webapp fails after the backend went out, the command says what is
live and how to roll either tier back (` + "`empctl rollback backend`" + `,
` + "`empctl rollback frontend`" + `), or to publish the webapp again.

--dry-run builds both and asks each tier what it would do, decided as the
release decides: a tier whose build is live is "unchanged".

JSON (-o json; the full shape is in pkg/cmd/deploy/testdata/deploy.golden):
{env, outcome: "completed", "dry-run", "backend-failed" or
"frontend-failed", backend: {before, after, action, rollout, plan},
frontend: {before, after, action, release}, seconds, error, live, recover};
a tier's action is "rolled-out", "published", "unchanged", "failed",
"not-run" or "planned".`

func newCmdRelease(f *cmdutil.Factory, cmd *cobra.Command, runF func(*ReleaseOptions) error) {
	fe := &frontend.Options{IO: f.IOStreams, Env: f.Environment, Build: frontend.BuildWebapp}
	opts := &ReleaseOptions{IO: f.IOStreams, Env: f.Environment, Frontend: fe}
	cmd.Long = releaseLong
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.JSON, opts.Verbose = f.JSON(), f.Global.Verbose
		fe.JSON, fe.Verbose, fe.Dir = opts.JSON, opts.Verbose, f.Global.Dir
		if fe.Publish.Concurrency < 1 || fe.Publish.Keep < 1 {
			return cmdutil.FlagErrorf("--concurrency and --keep must be at least 1")
		}
		if runF != nil {
			return runF(opts)
		}
		return RunRelease(cmd.Context(), opts)
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Force, "force", false, "redeploy the backend even when its build is the one running (as a new version)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "build both, then print both plans without changing anything")
	fl.BoolVar(&fe.NoBuild, "no-build", false, "publish the existing webapp build (webapp/dist) without building it")
	fl.IntVar(&fe.Publish.Concurrency, "concurrency", s3sync.DefaultConcurrency, "parallel webapp uploads (AWS)")
	fl.IntVar(&fe.Publish.Keep, "keep", s3sync.DefaultKeep, "webapp releases whose files stay available (AWS)")
	fl.BoolVar(&fe.Publish.NoWait, "no-wait", false, "do not wait for the CloudFront invalidation to complete (AWS)")
	shared.AddWatchFlags(cmd, &opts.Deploy)
}

// Outcomes of a release.
const (
	ReleaseCompleted      = "completed"
	ReleaseDryRun         = "dry-run"
	ReleaseBackendFailed  = "backend-failed"
	ReleaseFrontendFailed = "frontend-failed"
)

// What a tier did.
const (
	TierRolledOut = "rolled-out"
	TierPublished = "published"
	TierUnchanged = "unchanged"
	TierFailed    = "failed"
	TierNotRun    = "not-run"
	TierPlanned   = "planned"
)

// ReleaseResult is `empctl deploy -o json`: one object for both tiers.
type ReleaseResult struct {
	Env      string       `json:"env"`
	Outcome  string       `json:"outcome"`
	Backend  BackendTier  `json:"backend"`
	Frontend FrontendTier `json:"frontend"`
	Seconds  float64      `json:"seconds"`
	Error    string       `json:"error,omitempty"`
	// Live says what serves after a failure, and Recover the commands that
	// roll either tier back or finish the release.
	Live    string   `json:"live,omitempty"`
	Recover []string `json:"recover,omitempty"`
}

// BackendTier is what the release did to the API server.
type BackendTier struct {
	Before  string       `json:"before"`
	After   string       `json:"after"`
	Action  string       `json:"action"`
	Rollout *env.Rollout `json:"rollout,omitempty"`
	Plan    *env.Plan    `json:"plan,omitempty"`
}

// FrontendTier is what the release did to the webapp.
type FrontendTier struct {
	Before  string        `json:"before"`
	After   string        `json:"after"`
	Action  string        `json:"action"`
	Release *env.Frontend `json:"release,omitempty"`
}

func RunRelease(ctx context.Context, opts *ReleaseOptions) error {
	start := time.Now()
	e, err := opts.Env()
	if err != nil {
		return err
	}
	st, err := e.Status(ctx)
	if err != nil {
		return err
	}
	res := &ReleaseResult{Env: e.Name()}
	res.Backend.Before = st.Version
	if st.Frontend != nil {
		res.Frontend.Before = st.Frontend.Release
	}
	// The webapp build folder is shared with other deploys and `empctl up`:
	// it stays locked from its build until it is published.
	unlock, err := build.LockWebapp(ctx, opts.Frontend.Dir, "empctl deploy", func(holder string) {
		fmt.Fprintf(opts.IO.ErrOut, "Waiting for %s, which is building or publishing the webapp...\n", holder)
	})
	if err != nil {
		return err
	}
	defer unlock()
	// Both are built before anything goes out: a build that fails changes
	// nothing.
	log := io.Discard
	if opts.Verbose {
		log = opts.IO.ErrOut
	}
	fmt.Fprintf(opts.IO.ErrOut, "Building the server...\n")
	rel, err := e.BuildBackend(ctx, env.BuildOptions{Force: opts.Force}, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Built %s (%s)\n", rel.Version, rel.Digest)
	dist, err := opts.Frontend.Dist(ctx)
	if err != nil {
		return err
	}
	progress := shared.Progress(opts.IO, opts.JSON)
	if opts.DryRun {
		return dryRun(ctx, opts, e, rel, dist, res, progress)
	}

	ro, err := e.DeployBackend(ctx, rel, opts.Deploy, progress)
	switch {
	case errors.Is(err, env.ErrSameBuild):
		res.Backend.Action, res.Backend.After = TierUnchanged, res.Backend.Before
	case err != nil:
		res.Backend.Action, res.Backend.After = TierFailed, res.Backend.Before
		if ro.Outcome != "" {
			res.Backend.Rollout = &ro
			if ro.PreviousVersion != "" {
				res.Backend.After = ro.PreviousVersion
			}
		}
		res.Frontend.Action, res.Frontend.After = TierNotRun, res.Frontend.Before
		res.Outcome = ReleaseBackendFailed
		res.Live = fmt.Sprintf("backend %s and webapp release %s, as before: the webapp was not published", orNone(res.Backend.After), orNone(res.Frontend.After))
		return finish(opts, res, start, err)
	default:
		res.Backend.Action, res.Backend.After, res.Backend.Rollout = TierRolledOut, ro.Version, &ro
	}

	fe, err := e.DeployFrontend(ctx, dist, opts.Frontend.Publish, progress)
	if err != nil {
		res.Outcome = ReleaseFrontendFailed
		res.Frontend.Action, res.Frontend.After = TierFailed, res.Frontend.Before
		if fe.Release != "" {
			// It went live; a later step (the CloudFront invalidation) failed.
			res.Frontend.After, res.Frontend.Release = fe.Release, &fe
		}
		res.Live, res.Recover = afterFrontendFailed(e.Name(), res)
		return finish(opts, res, start, err)
	}
	res.Frontend.Release = &fe
	res.Frontend.After = fe.Release
	res.Frontend.Action = TierPublished
	if fe.Unchanged {
		res.Frontend.Action = TierUnchanged
	}
	res.Outcome = ReleaseCompleted
	return finish(opts, res, start, nil)
}

func dryRun(ctx context.Context, opts *ReleaseOptions, e env.Environment, rel env.Release, dist string, res *ReleaseResult, progress func(env.Event)) error {
	plan, err := e.PlanBackend(ctx, rel)
	if err != nil {
		return err
	}
	publish := opts.Frontend.Publish
	publish.DryRun = true
	fe, err := e.DeployFrontend(ctx, dist, publish, progress)
	if err != nil {
		return err
	}
	res.Outcome = ReleaseDryRun
	res.Backend.Action, res.Backend.After, res.Backend.Plan = TierPlanned, plan.Version, &plan
	if plan.Action == env.ActionUnchanged {
		res.Backend.Action, res.Backend.After = TierUnchanged, res.Backend.Before
	}
	res.Frontend.Action, res.Frontend.After, res.Frontend.Release = TierPlanned, fe.Release, &fe
	if fe.Unchanged {
		res.Frontend.Action = TierUnchanged
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, res)
	}
	out := opts.IO.Out
	fmt.Fprintln(out, "Backend (first):")
	backend.PrintPlan(out, plan)
	fmt.Fprintln(out, "\nWebapp (once the backend's rollout succeeded):")
	frontend.PrintPlan(out, fe)
	fmt.Fprintln(out, "Dry run: nothing was changed.")
	return nil
}

// afterFrontendFailed says what serves once the webapp failed after the
// backend's step, and the commands that roll either tier back or finish.
func afterFrontendFailed(envName string, res *ReleaseResult) (string, []string) {
	flag := " --env " + envName
	var live []string
	var recover []string
	switch res.Backend.Action {
	case TierRolledOut:
		live = append(live, fmt.Sprintf("backend %s (new; was %s)", res.Backend.After, orNone(res.Backend.Before)))
		recover = append(recover, "empctl rollback backend"+flag+"   # back to "+orNone(res.Backend.Before))
	default:
		live = append(live, fmt.Sprintf("backend %s (unchanged)", orNone(res.Backend.After)))
	}
	if res.Frontend.Release != nil {
		live = append(live, fmt.Sprintf("webapp release %s (new, but CloudFront may serve the old files until its invalidation succeeds)", res.Frontend.After))
		recover = append(recover, "empctl deploy frontend"+flag+"   # retries the invalidation")
		if res.Frontend.Before != "" {
			recover = append(recover, "empctl rollback frontend"+flag+" --to "+res.Frontend.Before)
		}
	} else {
		live = append(live, fmt.Sprintf("webapp release %s (the one before; the new one was not published)", orNone(res.Frontend.Before)))
		recover = append(recover, "empctl deploy frontend"+flag+"   # publishes the webapp of this release")
	}
	return strings.Join(live, " and "), recover
}

// finish prints the release's one summary (or JSON object) and returns its
// one error, with the exit code of the tier that failed.
func finish(opts *ReleaseOptions, res *ReleaseResult, start time.Time, err error) error {
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		res.Error = err.Error()
	}
	if opts.JSON {
		if perr := cmdutil.PrintJSON(opts.IO.Out, res); perr != nil {
			return perr
		}
	} else {
		printRelease(opts.IO.Out, opts.IO.ColorScheme(), res)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return &cmdutil.ExitCodeError{Code: cmdutil.ExitCancel, Err: err}
	case res.Outcome == ReleaseBackendFailed && errors.Is(err, env.ErrRolloutFailed):
		return cmdutil.VerdictFailed(err)
	}
	return err
}

func printRelease(w io.Writer, cs *iostreams.ColorScheme, res *ReleaseResult) {
	switch res.Outcome {
	case ReleaseCompleted:
		fmt.Fprintf(w, "%s released to %s in %.1fs\n", cs.SuccessIcon(), res.Env, res.Seconds)
	case ReleaseBackendFailed:
		fmt.Fprintf(w, "%s release to %s stopped: the backend did not go out, so the webapp was not published\n", cs.FailureIcon(), res.Env)
	case ReleaseFrontendFailed:
		fmt.Fprintf(w, "%s release to %s half done: the webapp failed after the backend's step\n", cs.FailureIcon(), res.Env)
	}
	b := res.Backend
	line := fmt.Sprintf("  backend  %s → %s: %s", orNone(b.Before), orNone(b.After), cs.State(b.Action))
	if b.Rollout != nil && b.Action == TierRolledOut {
		line += fmt.Sprintf(" in %s", b.Rollout.Duration().Round(100*time.Millisecond))
	}
	if b.Rollout != nil && b.Action == TierFailed && b.Rollout.Reason != "" {
		line += ": " + b.Rollout.Reason
	}
	fmt.Fprintln(w, line)
	f := res.Frontend
	line = fmt.Sprintf("  webapp   %s → %s: %s", orNone(f.Before), orNone(f.After), cs.State(f.Action))
	if r := f.Release; r != nil && f.Action == TierPublished {
		line += fmt.Sprintf(" (%d files", r.Files)
		if r.Uploaded+r.UnchangedFiles > 0 {
			line += fmt.Sprintf(", %d uploaded, %d unchanged, %d deleted", r.Uploaded, r.UnchangedFiles, r.Deleted)
		}
		if r.Invalidation != "" {
			line += ", CloudFront invalidation " + r.Invalidation
		}
		line += ")"
	}
	fmt.Fprintln(w, line)
	if b.Rollout != nil && b.Action == TierFailed && len(b.Rollout.Logs) > 0 {
		fmt.Fprintf(w, "  last log lines of %s:\n    %s\n", b.Rollout.FailedTarget, strings.Join(b.Rollout.Logs, "\n    "))
	}
	if res.Live != "" {
		fmt.Fprintf(w, "  live now: %s\n", res.Live)
	}
	for _, c := range res.Recover {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
