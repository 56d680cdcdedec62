package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/local/stack"
	"github.com/empctl/empctl/pkg/rollout"
)

// A progressive rollout's gate runs in the deploying command, not in `empctl
// up`: the stack pauses at each gate call as ECS pauses at a lifecycle hook.
// The server sends a hook message on the deploy's stream and waits; the
// client runs its gate and answers through POST /v1/hook. The test route's
// header travels only in the hook message, never in an event.

// hookMsg asks the client to run its gate: Test with Route, or Watch of the
// public Endpoint for Bake at production step Step.
type hookMsg struct {
	ID       string        `json:"id"`
	Call     string        `json:"call"` // "test" or "watch"
	BaseURL  string        `json:"baseURL,omitempty"`
	Header   http.Header   `json:"header,omitempty"`
	Endpoint string        `json:"endpoint,omitempty"`
	Step     int           `json:"step,omitempty"`
	Bake     time.Duration `json:"bake,omitempty"`
}

// hookAnswer is the gate's answer to one hook.
type hookAnswer struct {
	ID      string          `json:"id"`
	Verdict rollout.Verdict `json:"verdict"`
	Error   string          `json:"error,omitempty"`
}

// deployRequest is a deploy: the release and, for a progressive rollout, its
// strategy (the gate is the client's). Without a strategy it is the bare
// release older clients send.
type deployRequest struct {
	stack.Release
	Strategy *rollout.Config `json:"strategy,omitempty"`
	// ID names the deploy for POST /v1/abort.
	ID string `json:"id,omitempty"`
	// Rollback deploys the release that served before the current one
	// (the stack's own) instead of Release.
	Rollback bool `json:"rollback,omitempty"`
}

// abortRequest cancels the deploy ID, as if its client had gone: the
// stack rolls back and the stream answers with the result.
type abortRequest struct {
	ID string `json:"id"`
}

// deploys are the deploys in flight that an abort can cancel, by ID.
type deploys struct {
	mu      sync.Mutex
	cancels map[string]context.CancelFunc
}

func (d *deploys) add(id string, cancel context.CancelFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancels == nil {
		d.cancels = map[string]context.CancelFunc{}
	}
	d.cancels[id] = cancel
}

func (d *deploys) remove(id string) {
	d.mu.Lock()
	delete(d.cancels, id)
	d.mu.Unlock()
}

func (d *deploys) cancel(id string) bool {
	d.mu.Lock()
	cancel, ok := d.cancels[id]
	d.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}

// hooks are the gate calls awaiting the client's answer.
type hooks struct {
	mu      sync.Mutex
	waiting map[string]chan hookAnswer
}

func (h *hooks) answer(a hookAnswer) bool {
	h.mu.Lock()
	ch, ok := h.waiting[a.ID]
	delete(h.waiting, a.ID)
	h.mu.Unlock()
	if ok {
		ch <- a
	}
	return ok
}

// remoteGate is the stack's side of the client's gate: each call is a hook
// sent on the deploy's stream, answered through POST /v1/hook.
type remoteGate struct {
	hooks *hooks
	send  func(hookMsg)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (g *remoteGate) call(ctx context.Context, m hookMsg) (rollout.Verdict, error) {
	m.ID = newID()
	ch := make(chan hookAnswer, 1)
	g.hooks.mu.Lock()
	if g.hooks.waiting == nil {
		g.hooks.waiting = map[string]chan hookAnswer{}
	}
	g.hooks.waiting[m.ID] = ch
	g.hooks.mu.Unlock()
	defer func() {
		g.hooks.mu.Lock()
		delete(g.hooks.waiting, m.ID)
		g.hooks.mu.Unlock()
	}()
	g.send(m)
	select {
	case a := <-ch:
		if a.Error != "" {
			return a.Verdict, errors.New(a.Error)
		}
		return a.Verdict, nil
	case <-ctx.Done():
		return rollout.Verdict{}, ctx.Err()
	}
}

func (g *remoteGate) Test(ctx context.Context, route rollout.TestRoute, _ func(string)) (rollout.Verdict, error) {
	return g.call(ctx, hookMsg{Call: "test", BaseURL: route.BaseURL, Header: route.Header})
}

// Watch ignores traffic: the client reads the same counters through GET
// /v1/traffic.
func (g *remoteGate) Watch(ctx context.Context, endpoint string, _ rollout.Traffic, step int, d time.Duration, _ func(string)) (rollout.Verdict, error) {
	return g.call(ctx, hookMsg{Call: "watch", Endpoint: endpoint, Step: step, Bake: d})
}

// remoteTraffic reads the balancer's per-group counters through the socket.
type remoteTraffic struct{ c *Client }

func (t remoteTraffic) Counts(ctx context.Context) (old, new rollout.Counts, err error) {
	tr, err := t.c.Traffic(ctx)
	return tr.Serving.Rollout(), tr.New.Rollout(), err
}
