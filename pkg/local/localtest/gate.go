package localtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/empctl/empctl/pkg/rollout"
)

// TestGate is a rollout.Gate written for tests (empctl's own gate is
// pkg/gate): Test sends a few real requests through the test route (reads of
// /api/version and sign-ups) and fails on any answer that is not 2xx; Watch
// sends a probe through the public endpoint for the bake and fails on a probe
// answer that is not 2xx or when the new version's error rate in the
// balancer's counters passes MaxErrorRate.
type TestGate struct {
	// Reads and SignUps are the requests Test sends.
	Reads, SignUps int
	// ProbeSignUps makes every other probe request a sign-up.
	ProbeSignUps bool
	// ProbeInterval paces the probe (50 ms).
	ProbeInterval time.Duration
	MaxErrorRate  float64
	// OnStage, if set, is called as each call begins (to cancel a deploy
	// at a gate, say).
	OnStage func(rollout.Stage, int)
}

var _ rollout.Gate = (*TestGate)(nil)

var client = &http.Client{Timeout: 30 * time.Second}

func (g *TestGate) Test(ctx context.Context, route rollout.TestRoute, progress func(string)) (rollout.Verdict, error) {
	if g.OnStage != nil {
		g.OnStage(rollout.StageTestTraffic, 0)
	}
	v := rollout.Verdict{Stage: rollout.StageTestTraffic}
	for i := range g.Reads + g.SignUps {
		if err := ctx.Err(); err != nil {
			return v, err
		}
		method, path, body := http.MethodGet, "/api/version", []byte(nil)
		if i >= g.Reads {
			method, path, body = http.MethodPost, "/api/users", signUp()
		}
		v.Requests++
		if code, err := send(ctx, method, route.BaseURL+path, route.Header, body); err != nil || code/100 != 2 {
			v.Failed++
			v.Reason = fmt.Sprintf("%s %s through the test route: %s", method, path, answer(code, err))
			return v, ctx.Err()
		}
		if i >= g.Reads {
			v.Writes++
		}
	}
	progress(fmt.Sprintf("%d test requests answered", v.Requests))
	v.Promote, v.Reason = true, fmt.Sprintf("all %d test requests answered 2xx", v.Requests)
	return v, nil
}

func (g *TestGate) Watch(ctx context.Context, endpoint string, traffic rollout.Traffic, step int, d time.Duration, progress func(string)) (rollout.Verdict, error) {
	if g.OnStage != nil {
		g.OnStage(rollout.StageProductionShift, step)
	}
	v := rollout.Verdict{Stage: rollout.StageProductionShift, Step: step}
	old0, new0, err := traffic.Counts(ctx)
	if err != nil {
		return v, err
	}
	interval := g.ProbeInterval
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	end := time.Now().Add(d)
	for i := 0; ; i++ {
		oldN, newN, err := traffic.Counts(ctx)
		if err != nil {
			return v, err
		}
		o, n := oldN.Sub(old0), newN.Sub(new0)
		v.Old, v.New = &o, &n
		if n.Rate() > g.MaxErrorRate {
			v.Reason = fmt.Sprintf("the new version failed %d of %d production requests (%.2f%%, above %.2f%%)", n.Errors, n.Requests, 100*n.Rate(), 100*g.MaxErrorRate)
			return v, nil
		}
		if !time.Now().Before(end) {
			break
		}
		method, path, body := http.MethodGet, "/api/version", []byte(nil)
		if g.ProbeSignUps && i%2 == 1 {
			method, path, body = http.MethodPost, "/api/users", signUp()
		}
		v.Requests++
		if code, err := send(ctx, method, endpoint+path, nil, body); err != nil || code/100 != 2 {
			if ctx.Err() != nil {
				return v, ctx.Err()
			}
			v.Failed++
			v.Reason = fmt.Sprintf("probe %s %s: %s", method, path, answer(code, err))
			return v, nil
		}
		progress(fmt.Sprintf("step %d: %d probe requests, new version %d/%d failed", step, v.Requests, n.Errors, n.Requests))
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(min(interval, time.Until(end))):
		}
	}
	v.Promote, v.Reason = true, fmt.Sprintf("%d probe requests answered 2xx; the new version failed %d of %d production requests", v.Requests, v.New.Errors, v.New.Requests)
	return v, nil
}

func send(ctx context.Context, method, url string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", token())
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func answer(code int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("answered %d", code)
}

// SignUp is a sign-up body with a new e-mail address.
func SignUp() []byte { return signUp() }

func signUp() []byte {
	return fmt.Appendf(nil, `{"email":"gate-%s@example.com","password":"gate-password-1","firstName":"Gate","lastName":"Test","birthDate":"1990-01-01"}`, token())
}

func token() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
