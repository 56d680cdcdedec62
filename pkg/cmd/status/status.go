// Package status implements `empctl status`.
package status

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/rollout"
)

type Options struct {
	IO   *iostreams.IOStreams
	JSON bool
	Env  func() (env.Environment, error)
}

func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Env: f.Environment}
	return &cobra.Command{
		Use:   "status",
		Short: "Show the environment's replicas, versions and health",
		Long: `Show the environment's entry point, the version it serves (and the previous
one), the published webapp release, and each replica's version and health;
then what a rollback can return to: the backend's recent releases and the
retained webapp releases.

Locally it lists the stack's replicas: state, health, requests in flight,
address and process. On AWS it shows the ECS service with its task definition
revision and digest-pinned image, each running task's version, revision,
availability zone and target health, the deployments in progress or just
ended with their task counts, and the service's latest events.

During a progressive rollout (deploy backend --strategy blue-green, canary
or linear) it shows the strategy, the stage, the production weights of the
new and the old version, and the time left in a bake.

JSON (-o json; the full shape is in
pkg/cmd/status/testdata/status.golden): {env, endpoint,
version, previousVersion, service, revision, image, deploying, progressive,
desired, targets: [...], frontend: {release, files, published},
frontendReleases: [...], revisions: [...], deployments: [...] (AWS),
events: [...] (AWS), started}. It describes the environment only: what a
deploy did is that deploy's answer.`,
		Example: `  empctl status
  empctl status --env prod
  empctl status --env prod --output json | jq .deployments`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
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
	st, err := e.Status(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, statusJSON(st))
	}
	Print(opts.IO.Out, opts.IO.ColorScheme(), st)
	return nil
}

// jsonStatus is `status -o json`: the environment's status, its webapp
// release only as what is live (a deploy's counters of uploads, deletions
// and retained assets are the deploy's answer, not the environment's state).
type jsonStatus struct {
	env.Status
	Frontend *liveFrontend `json:"frontend,omitempty"`
}

type liveFrontend struct {
	Release   string    `json:"release"`
	Files     int       `json:"files"`
	Published time.Time `json:"published,omitzero"`
}

func statusJSON(st env.Status) jsonStatus {
	out := jsonStatus{Status: st}
	if f := st.Frontend; f != nil {
		out.Frontend = &liveFrontend{Release: f.Release, Files: f.Files, Published: f.Published}
	}
	return out
}

// printProgressive says where a progressive rollout in flight is.
func printProgressive(w io.Writer, p *rollout.State) {
	fmt.Fprintf(w, "Rollout     %s, stage %s", p.Strategy, p.Stage)
	if p.Step > 0 {
		fmt.Fprintf(w, " (production shift %d of %d)", p.Step, p.Steps)
	}
	fmt.Fprintf(w, "; production traffic: %g%% new, %g%% old", p.Weight, 100-p.Weight)
	if p.Hook != "" {
		fmt.Fprintf(w, "; hook %s", p.Hook)
	}
	if !p.BakeEnds.IsZero() {
		fmt.Fprintf(w, "; bake ends in %s", max(time.Until(p.BakeEnds), 0).Round(time.Second))
	}
	fmt.Fprintln(w)
	if p.New != nil && p.Old != nil {
		fmt.Fprintf(w, "            new: %d requests, %d failed; old: %d requests, %d failed\n", p.New.Requests, p.New.Errors, p.Old.Requests, p.Old.Errors)
	}
}

// Print writes the status as a short text table, its states coloured by cs.
func Print(w io.Writer, cs *iostreams.ColorScheme, st env.Status) {
	fmt.Fprintf(w, "Environment %s at %s\n", st.Env, st.Endpoint)
	fmt.Fprintf(w, "Version     %s", st.Version)
	if st.PreviousVersion != "" {
		fmt.Fprintf(w, " (previous: %s)", st.PreviousVersion)
	}
	if st.Deploying {
		fmt.Fprint(w, "  "+cs.Yellow("[rollout in progress]"))
	}
	fmt.Fprintln(w)
	if st.Service != "" {
		fmt.Fprintf(w, "Service     %s, task definition %s\n", st.Service, st.Revision)
		fmt.Fprintf(w, "Image       %s\n", st.Image)
	}
	if st.Frontend != nil {
		fmt.Fprintf(w, "Webapp      release %s (%d files", st.Frontend.Release, st.Frontend.Files)
		if !st.Frontend.Published.IsZero() {
			fmt.Fprintf(w, ", published %s", st.Frontend.Published.Local().Format(time.DateTime))
		}
		fmt.Fprintln(w, ")")
	} else {
		fmt.Fprintln(w, "Webapp      none published (API only)")
	}
	healthy := 0
	for _, t := range st.Targets {
		if t.Health == "healthy" {
			healthy++
		}
	}
	count := fmt.Sprintf("%d healthy", healthy)
	switch {
	case healthy >= st.Desired && healthy > 0:
		count = cs.Green(count)
	case healthy < st.Desired:
		count = cs.Yellow(count)
	}
	fmt.Fprintf(w, "Targets     %s, %d desired\n", count, st.Desired)
	if p := st.Progressive; p != nil {
		printProgressive(w, p)
	}
	if len(st.Deployments) > 0 {
		fmt.Fprintln(w, "\nDeployments")
		for _, d := range st.Deployments {
			fmt.Fprintf(w, "  %s %s %s: desired %d, pending %d, running %d, failed %d\n", cs.State(d.Status), cs.State(d.Rollout), d.Revision, d.Desired, d.Pending, d.Running, d.Failed)
		}
	}
	fmt.Fprintln(w)
	local := len(st.Targets) > 0 && st.Targets[0].PID != 0
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	if local {
		fmt.Fprintln(tw, "REPLICA\tVERSION\tSTATE\tHEALTH\tIN FLIGHT\tADDRESS\tPID\tUP")
	} else {
		fmt.Fprintln(tw, "TASK\tVERSION\tREVISION\tZONE\tSTATE\tHEALTH\tUP")
	}
	for _, t := range st.Targets {
		up := "-"
		if !t.Started.IsZero() {
			up = time.Since(t.Started).Round(time.Second).String()
		}
		if local {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", t.ID, t.Version, t.State, t.Health, t.InFlight, t.Addr, t.PID, up)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Version, t.Revision, t.Zone, t.State, t.Health, up)
		}
	}
	_ = tw.Flush()
	fmt.Fprint(w, colourColumns(table.String(), cs, "STATE", "HEALTH"))
	printReleases(w, cs, st)
	if len(st.Events) > 0 {
		fmt.Fprintln(w, "\nLast events")
		for _, ev := range st.Events {
			fmt.Fprintf(w, "  %s  %s\n", ev.Time.Local().Format(time.DateTime), ev.Message)
		}
	}
}
