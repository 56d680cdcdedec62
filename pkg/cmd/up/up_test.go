package up

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/cmd/deploy/backend"
	"github.com/empctl/empctl/pkg/cmd/down"
	"github.com/empctl/empctl/pkg/cmd/rollback"
	"github.com/empctl/empctl/pkg/cmd/status"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/resolve"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
)

func factory(dir string, output string) (*cmdutil.Factory, *bytes.Buffer) {
	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: "local", Output: output, Dir: dir}}
	f.Environment = func() (env.Environment, error) { return resolve.Environment(f.Global.Env, f.Global.Dir) }
	return f, out
}

// `empctl up` with the real server, then status, rollback and down through
// the control socket, as a user would from another terminal.
func TestUpStatusDown(t *testing.T) {
	dir := t.TempDir()
	f, upOut := factory(dir, cmdutil.OutputText)
	started := make(chan *stack.Stack, 1)
	cmd := NewCmdUp(f, func(o *Options) error {
		o.Release = localtest.ServerRelease(t)
		o.Started = func(s *stack.Stack) { started <- s }
		return Run(context.Background(), o)
	})
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--health-interval", "250ms", "--drain-delay", "200ms", "--stop-timeout", "5s"})
	upErr := make(chan error, 1)
	go func() { upErr <- cmd.Execute() }()
	// No time limit: the build and the replicas' start take what a cold cache
	// and a busy machine make them take; go test's -timeout bounds the test.
	var running *stack.Stack
	select {
	case running = <-started:
	case err := <-upErr:
		t.Fatalf("up: %v\n%s", err, upOut)
	}

	// A second `up` for the project is refused first, before any build: the
	// directory holds no sources, so a build would fail with another error.
	f2, _ := factory(dir, cmdutil.OutputText)
	second := NewCmdUp(f2, nil)
	second.SetArgs([]string{"--listen", "127.0.0.1:0"})
	if err := second.Execute(); !errors.Is(err, stack.ErrAlreadyUp) {
		t.Fatalf("a second up: %v, want ErrAlreadyUp", err)
	}

	sf, sOut := factory(dir, cmdutil.OutputJSON)
	if err := status.NewCmdStatus(sf, nil).Execute(); err != nil {
		t.Fatal(err)
	}
	var st env.Status
	if err := json.Unmarshal(sOut.Bytes(), &st); err != nil || st.Endpoint != running.Endpoint() || len(st.Targets) != 3 {
		t.Fatalf("status --output json: %v\n%s", err, sOut)
	}
	for _, tg := range st.Targets {
		if tg.Health != "healthy" {
			t.Fatalf("replica %s is %s", tg.ID, tg.Health)
		}
	}

	rf, _ := factory(dir, cmdutil.OutputText)
	if err := rollback.NewCmdRollback(rf, nil).Execute(); err == nil || !strings.Contains(err.Error(), "no previous release") {
		t.Fatalf("rollback with nothing to roll back to: %v", err)
	}

	// deploy backend --force (built from this repository), then rollback.
	stateDir := filepath.Join(dir, ".empctl", "local")
	bf, bOut := factory(dir, cmdutil.OutputJSON)
	deploy := backend.NewCmdBackend(bf, func(o *backend.Options) error {
		o.Env = func() (env.Environment, error) { return local.NewEnv(localtest.RepoRoot(t), stateDir), nil }
		return backend.Run(context.Background(), o)
	})
	deploy.SetArgs([]string{"--force"})
	if err := deploy.Execute(); err != nil {
		t.Fatalf("deploy backend --force: %v", err)
	}
	var ro env.Rollout
	if err := json.Unmarshal(bOut.Bytes(), &ro); err != nil || ro.Outcome != env.OutcomeCompleted || ro.PreviousVersion != st.Version {
		t.Fatalf("deploy backend --output json: %+v, %v\n%s", ro, err, bOut)
	}
	rf2, rOut := factory(dir, cmdutil.OutputText)
	if err := rollback.NewCmdRollback(rf2, nil).Execute(); err != nil || !strings.Contains(rOut.String(), st.Version+" is serving") {
		t.Fatalf("rollback: %v\n%s", err, rOut)
	}

	// The build that runs again, without --force: nothing is deployed, and
	// -o json says so rather than printing nothing.
	sameF, sameOut := factory(dir, cmdutil.OutputJSON)
	same := backend.NewCmdBackend(sameF, func(o *backend.Options) error {
		o.Env = func() (env.Environment, error) { return local.NewEnv(localtest.RepoRoot(t), stateDir), nil }
		return backend.Run(context.Background(), o)
	})
	same.SetArgs(nil)
	if err := same.Execute(); err != nil {
		t.Fatalf("deploy backend of the running build: %v", err)
	}
	var nd struct {
		Deployed *bool
		Reason   string
	}
	if err := json.Unmarshal(sameOut.Bytes(), &nd); err != nil || nd.Deployed == nil || *nd.Deployed || !strings.Contains(nd.Reason, "already running") {
		t.Fatalf("deploy backend -o json of the running build: %v\n%s", err, sameOut)
	}

	df, dOut := factory(dir, cmdutil.OutputText)
	if err := down.NewCmdDown(df, nil).Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dOut.String(), "stopped") {
		t.Fatalf("down printed %q", dOut)
	}
	if err := <-upErr; err != nil {
		t.Fatalf("up ended with %v", err)
	}
	out := upOut.String()
	for _, want := range []string{"empctl up: the app is at " + running.Endpoint(), "Demo user: demo@example.com", "no webapp in this project"} {
		if !strings.Contains(out, want) {
			t.Errorf("up's output lacks %q:\n%s", want, out)
		}
	}
	df2, _ := factory(dir, cmdutil.OutputText)
	if err := down.NewCmdDown(df2, nil).Execute(); err != nil {
		t.Fatalf("down when nothing runs: %v, want success", err)
	}
	sf2, _ := factory(dir, cmdutil.OutputText)
	if err := status.NewCmdStatus(sf2, nil).Execute(); !errors.Is(err, env.ErrNotRunning) {
		t.Fatalf("status after down: %v, want not running", err)
	}
}

func TestUpJSONAnnouncesEndpointAndDemoUser(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	d := newDisplay(ios, true)
	d.event(env.Event{Kind: "ready", Message: "3 replicas healthy"})
	d.ready(func() env.Status { return env.Status{} }, [][]string{{"empctl up: the app is at http://127.0.0.1:1"}}, upRecord{Endpoint: "http://127.0.0.1:1", DemoEmail: "demo@example.com", DemoPassword: "pw"})
	d.close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last upRecord
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &last) != nil {
		t.Fatalf("want one JSON object per line, got:\n%s", out)
	}
	if last.Kind != "up" || last.Endpoint != "http://127.0.0.1:1" || last.DemoEmail != "demo@example.com" || last.DemoPassword != "pw" {
		t.Fatalf("the up record lacks the endpoint or the demo user: %+v", last)
	}
	if !strings.Contains(errOut.String(), "the app is at") {
		t.Fatalf("the human header should go to stderr with --output json, got %q", errOut)
	}
}
