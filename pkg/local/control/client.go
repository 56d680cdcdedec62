package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/stack"
	"github.com/empctl/empctl/pkg/rollout"
)

// Client talks to a running stack through its control socket.
type Client struct {
	sock string
	hc   *http.Client
}

// NewClient returns a client for the stack whose state directory is stateDir.
func NewClient(stateDir string) *Client {
	sock := filepath.Join(stateDir, SocketName)
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	return &Client{sock: sock, hc: &http.Client{Transport: tr}}
}

func (c *Client) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://local"+path, rd)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if _, serr := os.Stat(c.sock); serr != nil || isDialError(err) {
			return nil, fmt.Errorf("%w (no control socket answers at %s): start it with `empctl up`", env.ErrNotRunning, c.sock)
		}
		return nil, fmt.Errorf("talking to `empctl up` through %s: %w", c.sock, err)
	}
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return nil, &answerError{status: resp.Status, code: resp.StatusCode, body: string(bytes.TrimSpace(b))}
	}
	return resp, nil
}

// answerError is the stack's answer to a request it refused.
type answerError struct {
	status, body string
	code         int
}

func (e *answerError) Error() string {
	return fmt.Sprintf("`empctl up` answered %s: %s", e.status, e.body)
}

// olderStack names a stack that predates the endpoint path (it answers 404).
func olderStack(err error, path string) error {
	var ae *answerError
	if errors.As(err, &ae) && ae.code == http.StatusNotFound {
		return fmt.Errorf("the running `empctl up` does not know %s: it is older than this empctl; restart it (`empctl down`, then `empctl up`)", path)
	}
	return err
}

// isDialError reports whether nothing answered on the socket: a stale socket
// file left by a stack that died refuses the connection.
func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// Status returns the running stack's state.
func (c *Client) Status(ctx context.Context) (env.Status, error) {
	var st env.Status
	resp, err := c.do(ctx, http.MethodGet, "/v1/status", nil)
	if err != nil {
		return st, err
	}
	defer func() { _ = resp.Body.Close() }()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// Deploy rolls rel out and streams the rollout's events to progress.
func (c *Client) Deploy(ctx context.Context, rel stack.Release, progress func(env.Event)) (env.Rollout, error) {
	m, err := c.stream(ctx, "/v1/deploy", rel, progress, nil)
	return rolloutResult(m, err)
}

// PlanDeploy says what Deploy would do with rel, deciding as Deploy does;
// nothing changes.
func (c *Client) PlanDeploy(ctx context.Context, rel stack.Release) (env.Plan, error) {
	m, err := c.stream(ctx, "/v1/plan", rel, nil, nil)
	if err != nil {
		return env.Plan{}, olderStack(err, "/v1/plan")
	}
	if m.Error != "" {
		return env.Plan{}, kindError(m.Kind, m.Error)
	}
	if m.Plan == nil {
		return env.Plan{}, errors.New("`empctl up` sent no plan")
	}
	return *m.Plan, nil
}

// DeployProgressive rolls rel out with the progressive strategy in cfg,
// running gate here at each of the stack's gate hooks. Cancelling ctx
// (Ctrl-C) asks the stack to roll back and waits for it to have done so.
func (c *Client) DeployProgressive(ctx context.Context, rel stack.Release, cfg rollout.Config, gate rollout.Gate, progress func(env.Event)) (env.Rollout, error) {
	if err := ctx.Err(); err != nil {
		return env.Rollout{}, err
	}
	return c.deployProgressive(ctx, deployRequest{Release: rel, Strategy: &cfg, ID: newID()}, gate, progress)
}

// RollbackProgressive rolls back to the release that served before the
// current one with cfg's strategy, promoted by gate, as DeployProgressive
// rolls out.
func (c *Client) RollbackProgressive(ctx context.Context, cfg rollout.Config, gate rollout.Gate, progress func(env.Event)) (env.Rollout, error) {
	if err := ctx.Err(); err != nil {
		return env.Rollout{}, err
	}
	return c.deployProgressive(ctx, deployRequest{Rollback: true, Strategy: &cfg, ID: newID()}, gate, progress)
}

func (c *Client) deployProgressive(ctx context.Context, req deployRequest, gate rollout.Gate, progress func(env.Event)) (env.Rollout, error) {
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			c.abort(context.WithoutCancel(ctx), req.ID, finished, progress)
		case <-finished:
		}
	}()
	// The stream outlives ctx: once the stack has rolled back, it answers
	// with the result.
	m, err := c.stream(context.WithoutCancel(ctx), "/v1/deploy", req, progress, func(h hookMsg) {
		go c.runHook(ctx, gate, h, progress)
	})
	return rolloutResult(m, err)
}

// abort asks the stack to cancel the deploy id until it has (the request
// may not have reached it yet) or the deploy has finished.
func (c *Client) abort(ctx context.Context, id string, finished <-chan struct{}, progress func(env.Event)) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.post(ctx, "/v1/abort", abortRequest{ID: id})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			if progress != nil {
				progress(env.Event{Time: time.Now(), Kind: "error", Message: "could not ask `empctl up` to roll back: " + err.Error()})
			}
			return
		}
		select {
		case <-finished:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runHook runs the gate call the stack asked for and answers it. Once ctx
// is cancelled it does not answer: the abort says why the rollout ends.
func (c *Client) runHook(ctx context.Context, gate rollout.Gate, h hookMsg, progress func(env.Event)) {
	say := func(msg string) {
		if progress != nil {
			progress(env.Event{Time: time.Now(), Kind: "gate", Key: "gate", Message: "gate: " + msg})
		}
	}
	var v rollout.Verdict
	var err error
	switch h.Call {
	case "test":
		v, err = gate.Test(ctx, rollout.TestRoute{BaseURL: h.BaseURL, Header: h.Header}, say)
	case "watch":
		v, err = gate.Watch(ctx, h.Endpoint, remoteTraffic{c}, h.Step, h.Bake, say)
	default:
		err = fmt.Errorf("unknown gate call %q (empctl and `empctl up` are different versions?)", h.Call)
	}
	if ctx.Err() != nil {
		return
	}
	a := hookAnswer{ID: h.ID, Verdict: v}
	if err != nil {
		a.Error = err.Error()
	}
	if err := c.post(context.WithoutCancel(ctx), "/v1/hook", a); err != nil && progress != nil {
		progress(env.Event{Time: time.Now(), Kind: "error", Message: "could not answer the stack's gate hook: " + err.Error()})
	}
}

// Traffic returns the balancer's per-group counters.
func (c *Client) Traffic(ctx context.Context) (balancer.Traffic, error) {
	var tr balancer.Traffic
	resp, err := c.do(ctx, http.MethodGet, "/v1/traffic", nil)
	if err != nil {
		return tr, err
	}
	defer func() { _ = resp.Body.Close() }()
	return tr, json.NewDecoder(resp.Body).Decode(&tr)
}

func (c *Client) post(ctx context.Context, path string, body any) error {
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Rollback rolls back to the previous release.
func (c *Client) Rollback(ctx context.Context, progress func(env.Event)) (env.Rollout, error) {
	m, err := c.stream(ctx, "/v1/rollback", nil, progress, nil)
	return rolloutResult(m, err)
}

// PublishFrontend publishes the webapp build in dist (an absolute path).
func (c *Client) PublishFrontend(ctx context.Context, dist string, progress func(env.Event)) (env.Frontend, error) {
	m, err := c.stream(ctx, "/v1/frontend", frontendRequest{Dist: dist}, progress, nil)
	return frontendResult(m, err)
}

// PlanFrontend says what PublishFrontend would do with dist, deciding as it
// does; nothing changes.
func (c *Client) PlanFrontend(ctx context.Context, dist string) (env.Frontend, error) {
	m, err := c.stream(ctx, "/v1/frontend/plan", frontendRequest{Dist: dist}, nil, nil)
	return frontendResult(m, olderStack(err, "/v1/frontend/plan"))
}

// RollbackFrontend switches the webapp back to a kept release: to, else the
// one live before the current.
func (c *Client) RollbackFrontend(ctx context.Context, to string, dryRun bool, progress func(env.Event)) (env.Frontend, error) {
	m, err := c.stream(ctx, "/v1/frontend/rollback", frontendRollbackRequest{To: to, DryRun: dryRun}, progress, nil)
	return frontendResult(m, err)
}

func frontendResult(m streamMsg, err error) (env.Frontend, error) {
	if err != nil {
		return env.Frontend{}, err
	}
	if m.Error != "" {
		return env.Frontend{}, kindError(m.Kind, m.Error)
	}
	if m.Frontend == nil {
		return env.Frontend{}, errors.New("`empctl up` sent no result")
	}
	return *m.Frontend, nil
}

// KillTarget kills the replica id without warning (SIGKILL).
func (c *Client) KillTarget(ctx context.Context, id string) error {
	m, err := c.stream(ctx, "/v1/kill", killRequest{ID: id}, nil, nil)
	if err != nil {
		return err
	}
	if m.Error != "" {
		return kindError(m.Kind, m.Error)
	}
	return nil
}

// Down asks the stack to stop; it returns before the stack has stopped.
func (c *Client) Down(ctx context.Context) error {
	resp, err := c.do(ctx, http.MethodPost, "/v1/down", nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// stream sends the request and passes its events to progress and its gate
// hooks to hook, until the result.
func (c *Client) stream(ctx context.Context, path string, body any, progress func(env.Event), hook func(hookMsg)) (streamMsg, error) {
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return streamMsg{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var m streamMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return streamMsg{}, fmt.Errorf("bad message from `empctl up`: %w", err)
		}
		if m.Event != nil {
			if progress != nil {
				progress(*m.Event)
			}
			continue
		}
		if m.Hook != nil {
			if hook == nil {
				return streamMsg{}, errors.New("`empctl up` asked for a gate this command does not run")
			}
			hook(*m.Hook)
			continue
		}
		return m, nil
	}
	if err := sc.Err(); err != nil {
		return streamMsg{}, fmt.Errorf("reading from `empctl up`: %w", err)
	}
	return streamMsg{}, errors.New("`empctl up` closed the connection before the result (did it stop?)")
}

func rolloutResult(m streamMsg, err error) (env.Rollout, error) {
	if err != nil {
		return env.Rollout{}, err
	}
	var ro env.Rollout
	if m.Rollout != nil {
		ro = *m.Rollout
	}
	if m.Error != "" {
		return ro, kindError(m.Kind, m.Error)
	}
	return ro, nil
}
