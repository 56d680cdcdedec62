// Package up implements `empctl up`: the whole stack on this machine.
package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env/resolve"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/build"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/demo"
	"github.com/empctl/empctl/pkg/local/stack"
)

type Options struct {
	IO      *iostreams.IOStreams
	JSON    bool
	Verbose bool
	EnvName string
	// Dir is the project's source directory; StateDir its .empctl/local.
	Dir      string
	StateDir string

	Listen              string
	Replicas            int
	DatabaseURL         string
	HealthInterval      time.Duration
	HealthyThreshold    int
	UnhealthyThreshold  int
	DeregistrationDelay time.Duration
	StopTimeout         time.Duration
	HealthGrace         time.Duration
	DrainDelay          time.Duration
	NoWebapp            bool

	// Release, when set, is started instead of a fresh build (tests).
	Release *stack.Release
	// Started, when set, is called once the stack serves (tests).
	Started func(*stack.Stack)
}

func NewCmdUp(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	hc := balancer.DefaultHealthCheck()
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the whole stack locally: 3 API replicas behind a load balancer, and the webapp",
		Long: `Build the API server (and the webapp when its sources changed), start 3
replicas sharing one SQLite database under .empctl/local/, and serve them
behind a load balancer that behaves like an ALB in front of ECS: health checks
on /readyz, draining, and a replacement for any replica that dies. The
load balancer serves the webapp for every path outside /api/.

It runs in the foreground until Ctrl-C or ` + "`empctl down`" + `. From another
terminal, ` + "`empctl status`, `empctl deploy backend`, `empctl rollback`" + ` and
` + "`empctl verify-zero-downtime`" + ` drive it.

On a terminal it shows a screen redrawn in place that fits the terminal: the
URL and the demo user on top, the version and a progressive rollout's stage
and weights, the replicas, then the latest events; states are coloured unless
NO_COLOR is set. Otherwise it prints one line per event.`,
		Example: `  empctl up
  empctl up --listen 127.0.0.1:9090
  empctl up --output json        # one JSON event per line; the "up" one has the endpoint and demo user
  empctl up --database-url 'mysql://user:pass@tcp(127.0.0.1:3306)/app'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Verbose, opts.EnvName = f.JSON(), f.Global.Verbose, f.Global.Env
			dir, err := filepath.Abs(f.Global.Dir)
			if err != nil {
				return err
			}
			opts.Dir, opts.StateDir = dir, resolve.LocalStateDir(dir)
			if runF != nil {
				return runF(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "the load balancer's address")
	fl.IntVar(&opts.Replicas, "replicas", stack.DefaultReplicas, "number of API server replicas")
	fl.StringVar(&opts.DatabaseURL, "database-url", "", "database for the replicas (default: a SQLite file under .empctl/local/)")
	fl.DurationVar(&opts.HealthInterval, "health-interval", hc.Interval, "time between health checks of a replica")
	fl.IntVar(&opts.HealthyThreshold, "healthy-threshold", hc.HealthyThreshold, "passed checks in a row before a replica gets requests")
	fl.IntVar(&opts.UnhealthyThreshold, "unhealthy-threshold", hc.UnhealthyThreshold, "failed checks in a row before a replica gets no more requests")
	fl.DurationVar(&opts.DeregistrationDelay, "deregistration-delay", stack.DefaultDeregistrationDelay, "longest wait for a draining replica's in-flight requests")
	fl.DurationVar(&opts.StopTimeout, "stop-timeout", stack.DefaultStopTimeout, "time between SIGTERM and SIGKILL when stopping a replica")
	fl.DurationVar(&opts.HealthGrace, "health-grace", stack.DefaultHealthGrace, "how long a new replica may take to become healthy before its rollout fails")
	fl.DurationVar(&opts.DrainDelay, "drain-delay", stack.DefaultDrainDelay, "how long a replica keeps serving after SIGTERM (its DRAIN_DELAY)")
	fl.BoolVar(&opts.NoWebapp, "no-webapp", false, "serve the API only, without building or serving the webapp")
	return cmd
}

func Run(ctx context.Context, opts *Options) error {
	if opts.EnvName != resolve.Local {
		return cmdutil.FlagErrorf("`empctl up` runs the local environment only, not %q: AWS environments are deployed with `empctl deploy --env %s`", opts.EnvName, opts.EnvName)
	}
	if opts.Replicas < 1 {
		return cmdutil.FlagErrorf("--replicas must be at least 1")
	}
	// First, before building or starting anything: one `up` per project.
	unlock, err := stack.LockStateDir(opts.StateDir)
	if err != nil {
		return err
	}
	defer unlock()
	errOut := opts.IO.ErrOut
	demo, err := demo.LoadOrCreate(opts.StateDir)
	if err != nil {
		return err
	}
	// A failed server build's error carries the compiler's output; the rest
	// of the build output is shown with --verbose only.
	log := io.Discard
	if opts.Verbose {
		log = errOut
	}
	rel := opts.Release
	if rel == nil {
		fmt.Fprintln(errOut, "Building the server...")
		bin, err := build.Server(ctx, opts.Dir, opts.StateDir, log)
		if err != nil {
			return err
		}
		rel = &stack.Release{Version: bin.Version, Binary: bin.Binary, Digest: bin.Digest}
	}
	webDist, webNote := "", "--no-webapp: serving the API only"
	unlockWeb := func() {}
	if !opts.NoWebapp {
		// Until the stack has copied the build (stack.Start): no deploy may
		// rebuild it meanwhile.
		unlockWeb, err = build.LockWebapp(ctx, opts.Dir, "empctl up", func(holder string) {
			fmt.Fprintf(errOut, "Waiting for %s, which is building or publishing the webapp...\n", holder)
		})
		if err != nil {
			return err
		}
		webDist, webNote = buildWebapp(ctx, opts, log)
	}

	d := newDisplay(opts.IO, opts.JSON)
	sopts := stack.Options{
		StateDir:    opts.StateDir,
		Listen:      opts.Listen,
		Replicas:    opts.Replicas,
		DatabaseURL: opts.DatabaseURL,
		Env: map[string]string{
			"DRAIN_DELAY":   opts.DrainDelay.String(),
			"DEMO_EMAIL":    demo.Email,
			"DEMO_PASSWORD": demo.Password,
		},
		Health: balancer.HealthCheck{Path: "/readyz", Interval: opts.HealthInterval, Timeout: max(opts.HealthInterval, 2*time.Second),
			HealthyThreshold: opts.HealthyThreshold, UnhealthyThreshold: opts.UnhealthyThreshold},
		DeregistrationDelay: opts.DeregistrationDelay,
		StopTimeout:         opts.StopTimeout,
		HealthGrace:         opts.HealthGrace,
		WebDist:             webDist,
		Events:              d.event,
	}
	st, err := stack.Start(ctx, sopts, rel)
	unlockWeb()
	if err != nil {
		if ctx.Err() != nil {
			return &cmdutil.ExitCodeError{Code: cmdutil.ExitCancel, Err: errors.New("interrupted before the replicas were healthy; everything is stopped")}
		}
		return fmt.Errorf("the local environment did not start: %w", err)
	}
	if err := control.Serve(st); err != nil {
		_ = st.Shutdown(context.Background())
		return err
	}
	d.ready(st.Status, header(st.Endpoint(), demo, webNote),
		upRecord{Endpoint: st.Endpoint(), DemoEmail: demo.Email, DemoPassword: demo.Password, Note: webNote})
	if opts.Started != nil {
		opts.Started(st)
	}
	select {
	case <-ctx.Done():
		d.stopping()
		_ = st.Shutdown(context.Background())
	case <-st.Done():
	}
	d.stopped()
	return nil
}

// buildWebapp builds the webapp when needed and returns its build folder, or
// "" and a note saying why the webapp is not served.
func buildWebapp(ctx context.Context, opts *Options, log io.Writer) (string, string) {
	fmt.Fprintln(opts.IO.ErrOut, "Building the webapp when its sources changed...")
	dist, _, err := build.Webapp(ctx, opts.Dir, false, log)
	switch {
	case err != nil:
		if prev := build.WebappDist(opts.Dir); prev != "" {
			return prev, "the webapp build failed (" + err.Error() + "); serving the previous build"
		}
		return "", "the webapp build failed (" + err.Error() + "): serving the API only"
	case dist == "":
		return "", "no webapp in this project: serving the API only"
	}
	return dist, ""
}

// header is the top of up's output, each line with shorter forms after it
// for a narrow terminal, the URL and the demo user first.
func header(endpoint string, demo demo.User, webNote string) [][]string {
	h := [][]string{
		{fmt.Sprintf("empctl up: the app is at %s  (API: %s/api/)", endpoint, endpoint), "empctl up: the app is at " + endpoint, "App: " + endpoint},
		{fmt.Sprintf("Demo user: %s  password: %s", demo.Email, demo.Password), fmt.Sprintf("Demo: %s %s", demo.Email, demo.Password)},
	}
	if webNote != "" {
		h = append(h, []string{"Note: " + webNote})
	}
	return append(h, []string{"Ctrl-C or `empctl down` stops it. Also: empctl status | deploy backend | rollback | verify-zero-downtime"})
}

// headerText is the header's long form, for output that is not a terminal.
func headerText(h [][]string) string {
	var b strings.Builder
	for _, l := range h {
		b.WriteString(l[0] + "\n")
	}
	return b.String()
}
