// Package frontend implements `empctl deploy frontend`.
package frontend

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

type Options struct {
	IO      *iostreams.IOStreams
	JSON    bool
	Verbose bool
	Env     func() (env.Environment, error)
}

func NewCmdFrontend(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	return &cobra.Command{
		Use:   "frontend",
		Short: "Build the webapp and publish it atomically",
		Long: `Build the webapp (when its sources changed) and publish it: the files go to a
new release, then the served release switches at once. The previous release's
content-hashed assets stay available, so browsers still running the old
index.html can load them.`,
		Example: `  empctl deploy frontend`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Verbose = f.JSON(), f.Global.Verbose
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

func Run(ctx context.Context, opts *Options) error {
	e, err := opts.Env()
	if err != nil {
		return err
	}
	var buildLog bytes.Buffer
	var log io.Writer = &buildLog
	if opts.Verbose {
		log = opts.IO.ErrOut
	}
	fmt.Fprintln(opts.IO.ErrOut, "Building the webapp (when its sources changed)...")
	info, err := e.DeployFrontend(ctx, log, shared.Progress(opts.IO.ErrOut))
	if err != nil {
		if buildLog.Len() > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%s\n", bytes.TrimSpace(buildLog.Bytes()))
		}
		return err
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, info)
	}
	if info.Unchanged {
		fmt.Fprintf(opts.IO.Out, "✓ webapp release %s is already live with this build: nothing to publish\n", info.Release)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "✓ webapp release %s is live (%d files; %d hashed assets kept from the previous release)\n", info.Release, info.Files, info.Retained)
	return nil
}
