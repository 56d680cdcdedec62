package rollback

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// FrontendOptions are `empctl rollback frontend`'s.
type FrontendOptions struct {
	IO       *iostreams.IOStreams
	JSON     bool
	Env      func() (env.Environment, error)
	Rollback env.FrontendRollbackOptions
}

func NewCmdFrontend(f *cmdutil.Factory, runF func(*FrontendOptions) error) *cobra.Command {
	opts := &FrontendOptions{IO: f.IOStreams, Env: f.Environment}
	cmd := &cobra.Command{
		Use:   "frontend",
		Short: "Put a retained webapp release live again, without a build",
		Long: `Put a webapp release that is still retained live again: by default the one
live before the current, or --to RELEASE (its id, or a prefix of it; ` + "`empctl status`" + `
lists them). Nothing is built or uploaded.

On AWS its content-hashed assets are still in the bucket, and its unhashed
files (index.html, config.json, icons…) are restored from the copies each
deploy keeps, in a deploy's order (the other files, config.json, index.html)
and under its lock; then the changed paths are invalidated in CloudFront.
Interrupted, the site keeps serving, and the same command again completes it.
Locally the web root switches to the kept release folder at once.

JSON (-o json; the full shape is in
pkg/cmd/rollback/testdata/rollback-frontend.golden): deploy frontend's
object, with from (the release live before) and restored (the unhashed files
put back). A target that is already live is unchanged: true, with
unchangedFiles = files minus those restored, as a deploy of the live build
says it.`,
		Example: `  empctl rollback frontend
  empctl rollback frontend --env prod --dry-run
  empctl rollback frontend --env prod --to 3f2a9c`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return RunFrontend(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Rollback.To, "to", "", "the release (id or a unique prefix) to put live; default the one live before the current")
	fl.BoolVar(&opts.Rollback.DryRun, "dry-run", false, "show what would change, and change nothing")
	fl.BoolVar(&opts.Rollback.NoWait, "no-wait", false, "do not wait for the CloudFront invalidation to complete (AWS)")
	return cmd
}

func RunFrontend(ctx context.Context, opts *FrontendOptions) error {
	e, err := opts.Env()
	if err != nil {
		return err
	}
	info, err := e.RollbackFrontend(ctx, opts.Rollback, shared.Progress(opts.IO, opts.JSON))
	if err != nil && info.Release == "" {
		return err
	}
	if opts.JSON {
		return shared.PrintFrontendJSON(opts.IO.Out, info, err)
	}
	out, cs := opts.IO.Out, opts.IO.ColorScheme()
	switch {
	case err != nil:
		fmt.Fprintf(out, "%s webapp release %s is live again, but CloudFront invalidation %s was not seen to complete\n", cs.WarningIcon(), info.Release, info.Invalidation)
		return err
	case info.DryRun:
		fmt.Fprintf(out, "Would put webapp release %s (%d files) live again, replacing %s\n", info.Release, info.Files, info.From)
		if len(info.Restored) > 0 {
			fmt.Fprintf(out, "  restore    %s\n", strings.Join(info.Restored, " "))
		}
		if len(info.InvalidationPaths) > 0 {
			fmt.Fprintf(out, "  invalidate %s\n", strings.Join(info.InvalidationPaths, " "))
		}
		fmt.Fprintln(out, "Dry run: nothing was changed.")
	case info.Unchanged:
		fmt.Fprintf(out, "%s webapp release %s is already live (%s restored)\n", cs.SuccessIcon(), info.Release, orNothing(info.Restored))
	default:
		fmt.Fprintf(out, "%s webapp release %s is %s again (%d files), replacing %s\n", cs.SuccessIcon(), info.Release, cs.State("live"), info.Files, info.From)
		if len(info.Restored) > 0 {
			fmt.Fprintf(out, "  restored %s in %.1fs\n", strings.Join(info.Restored, " "), info.Seconds)
		}
		if info.Invalidation != "" {
			fmt.Fprintf(out, "  CloudFront invalidation %s: %s\n", info.Invalidation, strings.Join(info.InvalidationPaths, " "))
		}
		fmt.Fprintf(out, "  undo with: empctl rollback frontend --to %s\n", info.From)
	}
	return nil
}

func orNothing(keys []string) string {
	if len(keys) == 0 {
		return "nothing"
	}
	return strings.Join(keys, " ")
}
