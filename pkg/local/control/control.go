// Package control is how empctl commands drive a running `empctl up`: an
// HTTP API on a unix socket in the state directory (Serve), and its client.
// Long operations stream their events, then the result; an error crosses as
// its text and a kind that names its sentinel.
package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/stack"
)

// SocketName is the control socket's file name under the state directory.
const SocketName = "control.sock"

// The control protocol is HTTP over the unix socket. Long operations answer
// with one JSON message per line: events, then a final message with the result
// or the error.
type streamMsg struct {
	Event    *env.Event    `json:"event,omitempty"`
	Rollout  *env.Rollout  `json:"rollout,omitempty"`
	Frontend *env.Frontend `json:"frontend,omitempty"`
	Plan     *env.Plan     `json:"plan,omitempty"`
	// Hook asks the client to run its gate and answer (hooks.go); the
	// stream goes on.
	Hook  *hookMsg `json:"hook,omitempty"`
	Error string   `json:"error,omitempty"`
	// Kind classifies Error so the client rebuilds an error that matches
	// the same sentinel (errors.Is), without parsing the text.
	Kind string `json:"kind,omitempty"`
}

// frontendRequest asks the stack to publish a webapp build.
// POST /v1/frontend/plan takes it too, for what the publish would do.
type frontendRequest struct {
	Dist string `json:"dist"`
}

// frontendRollbackRequest asks the stack to switch back to a kept release.
type frontendRollbackRequest struct {
	To     string `json:"to,omitempty"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// killRequest asks the stack to kill one replica without warning.
type killRequest struct {
	ID string `json:"id"`
}

// Serve listens on the control socket in s's state directory until s shuts
// down. It refuses to start when another stack answers there.
func Serve(s *stack.Stack) error {
	sock := filepath.Join(s.StateDir(), SocketName)
	if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		_ = c.Close()
		return fmt.Errorf("another `empctl up` is already running (control socket %s answers); stop it with `empctl down`", sock)
	}
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("opening the control socket: %w", err)
	}
	_ = os.Chmod(sock, 0o600)
	mux := http.NewServeMux()
	pending, inFlight := &hooks{}, &deploys{}
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Status())
	})
	mux.HandleFunc("POST /v1/deploy", func(w http.ResponseWriter, r *http.Request) {
		var req deployRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || (req.Binary == "" && !req.Rollback) {
			http.Error(w, "bad deploy request", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		if req.ID != "" {
			inFlight.add(req.ID, cancel)
			defer inFlight.remove(req.ID)
		}
		stream(w, func(progress func(env.Event), hook func(hookMsg)) streamMsg {
			var opts env.DeployOptions
			if req.Strategy != nil {
				opts.Strategy = *req.Strategy
				opts.Gate = &remoteGate{hooks: pending, send: hook}
			}
			if req.Rollback {
				ro, err := s.RollbackWith(ctx, opts, progress)
				return rolloutMsg(ro, err)
			}
			ro, err := s.DeployWith(ctx, &req.Release, opts, progress)
			return rolloutMsg(ro, err)
		})
	})
	// The plans are requests of their own, not flags of the deploy's: a
	// stack that predates them answers 404 instead of deploying.
	mux.HandleFunc("POST /v1/plan", func(w http.ResponseWriter, r *http.Request) {
		var rel stack.Release
		if err := json.NewDecoder(r.Body).Decode(&rel); err != nil || rel.Binary == "" {
			http.Error(w, "bad plan request", http.StatusBadRequest)
			return
		}
		stream(w, func(func(env.Event), func(hookMsg)) streamMsg {
			plan := s.Plan(rel)
			return streamMsg{Plan: &plan}
		})
	})
	mux.HandleFunc("POST /v1/frontend/plan", func(w http.ResponseWriter, r *http.Request) {
		var req frontendRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Dist == "" {
			http.Error(w, "bad frontend plan request", http.StatusBadRequest)
			return
		}
		stream(w, func(func(env.Event), func(hookMsg)) streamMsg {
			info, err := s.PlanFrontend(req.Dist)
			if err != nil {
				return streamMsg{Error: err.Error(), Kind: errorKind(err)}
			}
			return streamMsg{Frontend: &info}
		})
	})
	mux.HandleFunc("POST /v1/hook", func(w http.ResponseWriter, r *http.Request) {
		var a hookAnswer
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil || a.ID == "" {
			http.Error(w, "bad hook answer", http.StatusBadRequest)
			return
		}
		if !pending.answer(a) {
			http.Error(w, "no gate call awaits this answer (the rollout ended?)", http.StatusConflict)
		}
	})
	mux.HandleFunc("POST /v1/abort", func(w http.ResponseWriter, r *http.Request) {
		var req abortRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ID == "" {
			http.Error(w, "bad abort request", http.StatusBadRequest)
			return
		}
		if !inFlight.cancel(req.ID) {
			http.Error(w, "no deploy in flight has this id", http.StatusNotFound)
		}
	})
	mux.HandleFunc("GET /v1/traffic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Traffic())
	})
	mux.HandleFunc("POST /v1/rollback", func(w http.ResponseWriter, r *http.Request) {
		stream(w, func(progress func(env.Event), _ func(hookMsg)) streamMsg {
			ro, err := s.Rollback(r.Context(), progress)
			return rolloutMsg(ro, err)
		})
	})
	mux.HandleFunc("POST /v1/frontend", func(w http.ResponseWriter, r *http.Request) {
		var req frontendRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Dist == "" {
			http.Error(w, "bad frontend request", http.StatusBadRequest)
			return
		}
		stream(w, func(func(env.Event), func(hookMsg)) streamMsg {
			info, err := s.PublishFrontend(req.Dist)
			if err != nil {
				return streamMsg{Error: err.Error(), Kind: errorKind(err)}
			}
			return streamMsg{Frontend: &info}
		})
	})
	mux.HandleFunc("POST /v1/frontend/rollback", func(w http.ResponseWriter, r *http.Request) {
		var req frontendRollbackRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad frontend rollback request", http.StatusBadRequest)
			return
		}
		stream(w, func(func(env.Event), func(hookMsg)) streamMsg {
			info, err := s.RollbackFrontend(req.To, req.DryRun)
			if err != nil {
				return streamMsg{Error: err.Error(), Kind: errorKind(err)}
			}
			return streamMsg{Frontend: &info}
		})
	})
	mux.HandleFunc("POST /v1/kill", func(w http.ResponseWriter, r *http.Request) {
		var req killRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ID == "" {
			http.Error(w, "bad kill request", http.StatusBadRequest)
			return
		}
		stream(w, func(func(env.Event), func(hookMsg)) streamMsg {
			if err := s.KillTarget(req.ID); err != nil {
				return streamMsg{Error: err.Error(), Kind: errorKind(err)}
			}
			return streamMsg{}
		})
	})
	mux.HandleFunc("POST /v1/down", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		go func() { _ = s.Shutdown(context.Background()) }()
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.OnStopped(func() {
		_ = srv.Close()
		_ = os.Remove(sock)
	})
	go func() { _ = srv.Serve(ln) }()
	return nil
}

func rolloutMsg(ro env.Rollout, err error) streamMsg {
	m := streamMsg{}
	if ro.Outcome != "" {
		m.Rollout = &ro
	}
	if err != nil {
		m.Error, m.Kind = err.Error(), errorKind(err)
	}
	return m
}

// stream runs op, sending its events and gate hooks to the client as they
// happen, then its result.
func stream(w http.ResponseWriter, op func(progress func(env.Event), hook func(hookMsg)) streamMsg) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	flusher, _ := w.(http.Flusher)
	events := make(chan env.Event, 256)
	hooks := make(chan hookMsg)
	result := make(chan streamMsg, 1)
	go func() {
		result <- op(func(ev env.Event) {
			select {
			case events <- ev:
			default: // a slow client misses progress lines, never the result
			}
		}, func(m hookMsg) { hooks <- m }) // the loop below reads until op returns
	}()
	enc := json.NewEncoder(w)
	for {
		select {
		case m := <-hooks:
			for len(events) > 0 { // the events before it, in order
				ev := <-events
				_ = enc.Encode(streamMsg{Event: &ev})
			}
			_ = enc.Encode(streamMsg{Hook: &m})
			if flusher != nil {
				flusher.Flush()
			}
		case ev := <-events:
			_ = enc.Encode(streamMsg{Event: &ev})
			if flusher != nil {
				flusher.Flush()
			}
		case m := <-result:
			for len(events) > 0 {
				ev := <-events
				_ = enc.Encode(streamMsg{Event: &ev})
			}
			_ = enc.Encode(m)
			return
		}
	}
}
