package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/control"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
	"github.com/empctl/empctl/pkg/rollout"
)

// routeSpy is the test gate, remembering the test route it was given.
type routeSpy struct {
	*localtest.TestGate
	key string
}

func (g *routeSpy) Test(ctx context.Context, r rollout.TestRoute, p func(string)) (rollout.Verdict, error) {
	g.key = r.Header.Get(balancer.TestRouteHeader)
	return g.TestGate.Test(ctx, r, p)
}

// A progressive rollout through the socket: the stack pauses at each gate
// call and the client runs its gate and answers; the test route's secret
// reaches the gate but no event. Cancelling the deploy (Ctrl-C) asks the
// stack to roll back, and the client gets the rollback as its result.
func TestProgressiveDeployThroughTheSocket(t *testing.T) {
	opts := localtest.Options(t)
	opts.Env = map[string]string{"DRAIN_DELAY": "200ms"}
	s, err := stack.Start(context.Background(), opts, localtest.FakeRelease(t, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if err := control.Serve(s); err != nil {
		t.Fatal(err)
	}
	c := control.NewClient(opts.StateDir)
	cfg := rollout.Defaults(true)
	cfg.Strategy, cfg.CanaryBake, cfg.Bake = rollout.Canary, 300*time.Millisecond, 300*time.Millisecond
	gate := &routeSpy{TestGate: &localtest.TestGate{Reads: 3, SignUps: 1}}
	var events []string
	ro, err := c.DeployProgressive(context.Background(), *localtest.FakeRelease(t, "v2"), cfg, gate, func(ev env.Event) {
		b, _ := json.Marshal(ev)
		events = append(events, string(b))
	})
	if err != nil || ro.Outcome != env.OutcomeCompleted || ro.Version != "v2" || len(ro.Verdicts) != 3 {
		t.Fatalf("canary through the socket: %+v, %v", ro, err)
	}
	if gate.key == "" || strings.Contains(strings.Join(events, "\n"), gate.key) {
		t.Fatalf("test route key %q: want it given to the gate and in no event", gate.key)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelling := &localtest.TestGate{Reads: 3, OnStage: func(st rollout.Stage, _ int) {
		if st == rollout.StageProductionShift {
			cancel()
		}
	}}
	cfg.CanaryBake = time.Hour
	ro, err = c.DeployProgressive(ctx, *localtest.FakeRelease(t, "v3"), cfg, cancelling, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "no one vouched for it") || ro.Outcome != env.OutcomeFailed {
		t.Fatalf("cancelled canary: %+v, %v", ro, err)
	}
	if st := s.Status(); st.Version != "v2" || len(st.Targets) != 3 || st.Progressive != nil {
		t.Fatalf("after the cancelled canary: %+v", st)
	}
}
