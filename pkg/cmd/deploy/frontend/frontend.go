// Package frontend implements `empctl deploy frontend`.
package frontend

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local/build"
	"github.com/empctl/empctl/pkg/s3sync"
)

type Options struct {
	IO      *iostreams.IOStreams
	JSON    bool
	Verbose bool
	Env     func() (env.Environment, error)
	// Dir is the project directory holding webapp/.
	Dir string
	// Build builds the webapp in Dir when its sources changed and returns the
	// build folder and whether it built (tests replace it).
	Build func(ctx context.Context, dir string, log io.Writer) (dist string, built bool, err error)

	NoBuild bool
	Publish env.FrontendOptions
}

func NewCmdFrontend(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment, Build: BuildWebapp}
	cmd := &cobra.Command{
		Use:   "frontend",
		Short: "Build the webapp and publish it without breaking the live site",
		Long: `Check the environment (the running stack; on AWS the credentials and the
CloudFront distribution), build the webapp when its sources changed (it says whether it built
or the build was up to date), and publish it. Browsers switch
from the old release to the new one at once: new assets go first, index.html
last, and the previous releases' content-hashed assets stay available, so a
browser still running an old index.html can load them.

Locally the files go to a new release folder and the balancer switches to it.
On AWS they are synced to the S3 bucket by content (only changed files are
uploaded, 64 at once by default: S3 answers each request in tens of
milliseconds, so a deploy's time is mostly how many requests it waits for in
turn) and the CloudFront paths that changed are invalidated.

--dry-run decides as the publish does and changes nothing: the live build
is "already live", else it lists what would be uploaded and deleted.

JSON (-o json; the full shape is in
pkg/cmd/deploy/frontend/testdata/deploy-frontend.golden): one
object {release, files, published, retained, unchanged, replaces, dryRun,
uploaded, uploadedBytes, unchangedFiles, deleted, deletedBytes,
invalidation, invalidationPaths, uploads, deletions, seconds}, plus error
when the release went live and a later step failed. unchanged: true means
the build was the live one: nothing uploaded, unchangedFiles = files. A
local dry run has no release name yet: replaces names the live one.`,
		Example: `  empctl deploy frontend
  empctl deploy frontend --env prod --dry-run
  empctl deploy frontend --env prod --no-build --no-wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Verbose, opts.Dir = f.JSON(), f.Global.Verbose, f.Global.Dir
			if opts.Publish.Concurrency < 1 {
				return cmdutil.FlagErrorf("--concurrency must be at least 1")
			}
			if opts.Publish.Keep < 1 {
				return cmdutil.FlagErrorf("--keep must be at least 1")
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.NoBuild, "no-build", false, "publish the existing webapp build (webapp/dist) without building")
	fl.BoolVar(&opts.Publish.DryRun, "dry-run", false, "show what would be uploaded, deleted and invalidated, and change nothing")
	fl.IntVar(&opts.Publish.Concurrency, "concurrency", s3sync.DefaultConcurrency, "parallel uploads (AWS)")
	fl.IntVar(&opts.Publish.Keep, "keep", s3sync.DefaultKeep, "releases whose files stay available (AWS)")
	fl.BoolVar(&opts.Publish.NoWait, "no-wait", false, "do not wait for the CloudFront invalidation to complete (AWS)")
	return cmd
}

func Run(ctx context.Context, opts *Options) error {
	e, err := opts.Env()
	if err != nil {
		return err
	}
	// The publish's first checks (locally the running stack, on AWS the
	// credentials and the CloudFront distribution) come before a build the
	// environment could not take.
	if err := e.CheckFrontend(ctx); err != nil {
		return err
	}
	// The build folder is shared with other deploys and `empctl up`: none may
	// rebuild it while this one builds it or publishes from it.
	unlock, err := build.LockWebapp(ctx, opts.Dir, "empctl deploy frontend", func(holder string) {
		fmt.Fprintf(opts.IO.ErrOut, "Waiting for %s, which is building or publishing the webapp...\n", orNone(holder))
	})
	if err != nil {
		return err
	}
	defer unlock()
	dist, err := opts.Dist(ctx)
	if err != nil {
		return err
	}
	info, err := e.DeployFrontend(ctx, dist, opts.Publish, shared.Progress(opts.IO, opts.JSON))
	if err != nil && info.Release == "" {
		return err
	}
	// With a release and an error, the release went live and a later step
	// (the CloudFront invalidation) failed: say what is live, then fail.
	if opts.JSON {
		return shared.PrintFrontendJSON(opts.IO.Out, info, err)
	}
	cs := opts.IO.ColorScheme()
	switch {
	case err != nil && info.Invalidation != "":
		fmt.Fprintf(opts.IO.Out, "%s webapp release %s is live (%d files) and CloudFront invalidation %s was created, but it was not seen to complete\n", cs.WarningIcon(), info.Release, info.Files, info.Invalidation)
		return err
	case err != nil:
		fmt.Fprintf(opts.IO.Out, "%s webapp release %s is live (%d files), but the CloudFront invalidation failed: browsers may get the old index.html until CloudFront's cache expires, or until a deploy (even of the same build) invalidates it\n", cs.WarningIcon(), info.Release, info.Files)
		return err
	case opts.Publish.DryRun:
		PrintPlan(opts.IO.Out, info)
		fmt.Fprintln(opts.IO.Out, "Dry run: nothing was changed.")
	case info.Unchanged:
		fmt.Fprintf(opts.IO.Out, "%s webapp release %s is already live: %s\n", cs.SuccessIcon(), info.Release, cs.Cyan("nothing to publish"))
		if info.Invalidation != "" {
			fmt.Fprintf(opts.IO.Out, "  CloudFront invalidation %s (what an earlier deploy could not invalidate): %s\n", info.Invalidation, strings.Join(info.InvalidationPaths, " "))
		}
	default:
		fmt.Fprintf(opts.IO.Out, "%s webapp release %s is %s (%d files; %d hashed assets kept from earlier releases)\n", cs.SuccessIcon(), info.Release, cs.State("live"), info.Files, info.Retained)
		if info.Uploaded+info.UnchangedFiles+info.Deleted > 0 {
			fmt.Fprintf(opts.IO.Out, "  %d uploaded (%s), %d unchanged, %d deleted past the retention window, in %.1fs\n",
				info.Uploaded, humanize.Bytes(uint64(info.UploadedBytes)), info.UnchangedFiles, info.Deleted, info.Seconds)
		}
		if info.Invalidation != "" {
			fmt.Fprintf(opts.IO.Out, "  CloudFront invalidation %s: %s\n", info.Invalidation, strings.Join(info.InvalidationPaths, " "))
		}
	}
	return nil
}

// PrintPlan shows what a dry run would do, decided as the publish decides.
func PrintPlan(w io.Writer, info env.Frontend) {
	if info.Unchanged {
		fmt.Fprintf(w, "Webapp release %s is already live with this build: nothing would be published\n", info.Release)
		if len(info.InvalidationPaths) > 0 {
			fmt.Fprintf(w, "  invalidate %s (what an earlier deploy could not invalidate)\n", strings.Join(info.InvalidationPaths, " "))
		}
		return
	}
	if info.Release == "" {
		// The local stack: a new release folder, named when it is published.
		fmt.Fprintf(w, "Would publish %d files as a new release, replacing release %s\n", info.Files, orNone(info.Replaces))
		return
	}
	fmt.Fprintf(w, "Release %s: %d files\n", info.Release, info.Files)
	fmt.Fprintf(w, "  upload     %d files, %s\n", info.Uploaded, humanize.Bytes(uint64(info.UploadedBytes)))
	for _, k := range info.Uploads {
		fmt.Fprintf(w, "    + %s\n", k)
	}
	fmt.Fprintf(w, "  unchanged  %d files\n", info.UnchangedFiles)
	fmt.Fprintf(w, "  delete     %d files, %s (after index.html is live)\n", info.Deleted, humanize.Bytes(uint64(info.DeletedBytes)))
	for _, k := range info.Deletions {
		fmt.Fprintf(w, "    - %s\n", k)
	}
	if len(info.InvalidationPaths) > 0 {
		fmt.Fprintf(w, "  invalidate %s\n", strings.Join(info.InvalidationPaths, " "))
	}
}

// Dist builds the webapp (unless --no-build) and returns its build folder,
// checked to hold an index.html. The caller holds build.LockWebapp.
func (opts *Options) Dist(ctx context.Context) (string, error) {
	var dist string
	if opts.NoBuild {
		dist = build.WebappDist(opts.Dir)
		if dist == "" {
			return "", fmt.Errorf("--no-build: there is no webapp build under %s; build it with `make -C webapp build` or drop --no-build", filepath.Join(opts.Dir, "webapp", "dist"))
		}
	} else {
		var buildLog bytes.Buffer
		var log io.Writer = &buildLog
		if opts.Verbose {
			log = opts.IO.ErrOut
		}
		fmt.Fprintln(opts.IO.ErrOut, "Building the webapp (when its sources changed)...")
		start := time.Now()
		d, built, err := opts.Build(ctx, opts.Dir, log)
		if err != nil {
			if buildLog.Len() > 0 {
				fmt.Fprintf(opts.IO.ErrOut, "%s\n", bytes.TrimSpace(buildLog.Bytes()))
			}
			return "", err
		}
		if built {
			fmt.Fprintf(opts.IO.ErrOut, "Built the webapp in %.1fs\n", time.Since(start).Seconds())
		} else {
			fmt.Fprintln(opts.IO.ErrOut, "Webapp build up to date: its sources have not changed since the last build")
		}
		dist = d
	}
	if fi, err := os.Stat(filepath.Join(dist, "index.html")); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s has no index.html: it is not a webapp build; rebuild it with `make -C webapp build`", dist)
	}
	return dist, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// BuildWebapp builds the project's webapp when its sources changed.
func BuildWebapp(ctx context.Context, dir string, log io.Writer) (string, bool, error) {
	dist, built, err := build.Webapp(ctx, dir, false, log)
	if err == nil && dist == "" {
		err = fmt.Errorf("this project has no webapp (no %s)", filepath.Join(dir, "webapp", "package.json"))
	}
	return dist, built, err
}
