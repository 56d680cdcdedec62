// Package envtest has a fake env.Environment for the commands' unit tests:
// each method returns what the test scripted and records how it was called,
// so a command's flags, output and exit codes are tested without a stack or
// an AWS account (the GitHub CLI's runF pattern, one level down).
package envtest

import (
	"context"
	"io"
	"sync"

	"github.com/empctl/empctl/pkg/env"
)

// Fake is a scripted environment. The zero value succeeds with empty results.
type Fake struct {
	EnvName     string
	EndpointURL string

	Release  env.Release
	BuildErr error
	Plan     env.Plan
	PlanErr  error
	// Rollout and DeployErr answer DeployBackend and Rollback.
	Rollout     env.Rollout
	DeployErr   error
	Frontend    env.Frontend
	FrontendErr error
	// CheckErr answers CheckFrontend.
	CheckErr  error
	State     env.Status
	StatusErr error // with State, answers Status
	KillErr   error
	// LogLines answer Logs; with Follow it then waits for the context to
	// end, as a follow does when nothing more is logged.
	LogLines []env.LogLine
	LogsErr  error
	// Events are sent to the progress callback of every long operation.
	Events []env.Event

	mu    sync.Mutex
	calls []Call
}

// Call is one method call and its arguments.
type Call struct {
	Method string
	Arg    any
}

var _ env.Environment = (*Fake)(nil)

// Calls returns the calls made so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Called returns the argument of the last call of method, and whether it was called.
func (f *Fake) Called(method string) (any, bool) {
	calls := f.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Method == method {
			return calls[i].Arg, true
		}
	}
	return nil, false
}

func (f *Fake) record(method string, arg any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{method, arg})
}

func (f *Fake) emit(progress func(env.Event)) {
	for _, ev := range f.Events {
		progress(ev)
	}
}

func (f *Fake) Name() string {
	if f.EnvName == "" {
		return "fake"
	}
	return f.EnvName
}

func (f *Fake) Endpoint(context.Context) (string, error) {
	f.record("Endpoint", nil)
	return f.EndpointURL, nil
}

func (f *Fake) BuildBackend(_ context.Context, opts env.BuildOptions, _ io.Writer) (env.Release, error) {
	f.record("BuildBackend", opts)
	return f.Release, f.BuildErr
}

func (f *Fake) PlanBackend(_ context.Context, rel env.Release) (env.Plan, error) {
	f.record("PlanBackend", rel)
	return f.Plan, f.PlanErr
}

func (f *Fake) DeployBackend(_ context.Context, rel env.Release, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	f.record("DeployBackend", opts)
	f.emit(progress)
	return f.Rollout, f.DeployErr
}

func (f *Fake) Rollback(_ context.Context, opts env.RollbackOptions, progress func(env.Event)) (env.Rollout, error) {
	f.record("Rollback", opts)
	f.emit(progress)
	return f.Rollout, f.DeployErr
}

func (f *Fake) CheckFrontend(context.Context) error {
	f.record("CheckFrontend", nil)
	return f.CheckErr
}

func (f *Fake) DeployFrontend(_ context.Context, dist string, opts env.FrontendOptions, progress func(env.Event)) (env.Frontend, error) {
	f.record("DeployFrontend", FrontendCall{dist, opts})
	f.emit(progress)
	return f.Frontend, f.FrontendErr
}

func (f *Fake) RollbackFrontend(_ context.Context, opts env.FrontendRollbackOptions, progress func(env.Event)) (env.Frontend, error) {
	f.record("RollbackFrontend", opts)
	f.emit(progress)
	return f.Frontend, f.FrontendErr
}

// FrontendCall is DeployFrontend's arguments.
type FrontendCall struct {
	Dist string
	Opts env.FrontendOptions
}

func (f *Fake) Status(context.Context) (env.Status, error) {
	f.record("Status", nil)
	return f.State, f.StatusErr
}

func (f *Fake) KillTarget(_ context.Context, id string) error {
	f.record("KillTarget", id)
	return f.KillErr
}

func (f *Fake) Logs(ctx context.Context, opts env.LogOptions, emit func(env.LogLine)) error {
	f.record("Logs", opts)
	for _, l := range f.LogLines {
		emit(l)
	}
	if f.LogsErr != nil || !opts.Follow {
		return f.LogsErr
	}
	<-ctx.Done()
	return ctx.Err()
}
