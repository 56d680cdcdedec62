// Command empctl provisions and deploys the app with zero downtime.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/empctl/empctl/pkg/cmd/factory"
	"github.com/empctl/empctl/pkg/cmd/root"
	"github.com/empctl/empctl/pkg/cmdutil"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	f := factory.New()
	cmd := root.NewCmdRoot(f)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var ec *cmdutil.ExitCodeError
	if !(errors.As(err, &ec) && ec.Silent) {
		fmt.Fprintln(f.IOStreams.ErrOut, "Error:", err)
	}
	if ctx.Err() != nil && cmdutil.ExitCode(err) == cmdutil.ExitError {
		return cmdutil.ExitCancel
	}
	return cmdutil.ExitCode(err)
}
