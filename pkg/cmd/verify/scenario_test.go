package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmd/deploy/shared"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/loadtest"
)

// busyRollout is an environment whose rollout writes progress without pause
// until a target is killed: the kill's own message must share the progress
// writer with it (go test -race catches a write beside it).
type busyRollout struct {
	*envtest.Fake
	rolling, killed chan struct{}
}

func (e busyRollout) DeployBackend(_ context.Context, _ env.Release, _ env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	progress(env.Event{Time: time.Now(), Kind: "info", Message: "rolling"})
	close(e.rolling)
	for {
		select {
		case <-e.killed:
			return env.Rollout{Outcome: env.OutcomeCompleted, Version: "v2", PreviousVersion: "v1"}, nil
		default:
			progress(env.Event{Time: time.Now(), Kind: "info", Message: "rolling"})
		}
	}
}

// Status answers once the rollout writes its progress.
func (e busyRollout) Status(ctx context.Context) (env.Status, error) {
	<-e.rolling
	return e.Fake.Status(ctx)
}

func (e busyRollout) KillTarget(ctx context.Context, id string) error {
	err := e.Fake.KillTarget(ctx, id)
	close(e.killed)
	return err
}

func TestTheKillIsReportedThroughTheRolloutsProgress(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	e := busyRollout{&envtest.Fake{EnvName: "local", State: env.Status{Version: "v1", Deploying: true,
		Targets: []env.Target{{ID: "local-1", Version: "v1", Health: "healthy"}}}}, make(chan struct{}), make(chan struct{})}
	run := loadtest.Start(loadtest.Options{Rate: 1, Targets: []loadtest.Target{{Name: "none", Method: "GET", URL: "http://127.0.0.1:1/"}}})
	defer run.Stop()
	sc := &scenario{e: e, run: run, errOut: errOut, progress: shared.Progress(ios, false), enter: func(string) {}}
	if err := sc.rollout(t.Context(), 1, true, true); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(errOut.String(), "Killing local-1 (v1) without warning"); n != 1 {
		t.Fatalf("the kill was reported %d times, want once", n)
	}
	if len(sc.actions) != 2 || sc.actions[1].Kind != loadtest.ActionKill || sc.actions[1].Error != "" {
		t.Fatalf("actions %+v, want the rollout and its kill", sc.actions)
	}
}

// "Rollout n: deploying V" names the version the environment rolls out (the
// same build redeployed runs as a new version), not the build's.
func TestRolloutIsAnnouncedWithTheVersionRolledOut(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	e := &envtest.Fake{EnvName: "local", Release: env.Release{Version: "3671f33"},
		Events:  []env.Event{{Kind: "info", Message: "preparing"}, {Kind: "rollout", Version: "3671f33+r2", Message: "rolling out 3671f33+r2"}, {Kind: "completed", Version: "3671f33+r2", Message: "done"}},
		Rollout: env.Rollout{Outcome: env.OutcomeCompleted, Version: "3671f33+r2", PreviousVersion: "3671f33"}}
	run := loadtest.Start(loadtest.Options{Rate: 1, Targets: []loadtest.Target{{Name: "none", Method: "GET", URL: "http://127.0.0.1:1/"}}})
	defer run.Stop()
	sc := &scenario{e: e, rel: e.Release, run: run, errOut: errOut, progress: shared.Progress(ios, false), enter: func(string) {}}
	if err := sc.rollout(t.Context(), 1, false, true); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(errOut.String(), "Rollout 1: deploying 3671f33+r2\n"); n != 1 || strings.Contains(errOut.String(), "deploying 3671f33\n") {
		t.Fatalf("want \"Rollout 1: deploying 3671f33+r2\" once and never the build's version:\n%s", errOut)
	}
}
