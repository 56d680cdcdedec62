package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"
)

type ctxKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// saneRequestID accepts a caller's id (a load balancer's or a client's) only
// if it cannot break a log line or a header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware adds request ids, version headers, panic recovery, the access
// log and metrics around the mux, and turns the mux's plain-text 404 and 405
// into the API's JSON errors.
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-App-Version", s.deps.Build.Version)
		h.Set("X-App-Instance", s.deps.Instance.ID)
		if s.draining.Load() {
			// Clients learn in this response to reconnect (to another
			// replica); closing idle connections instead would race with
			// requests already on their way.
			h.Set("Connection", "close")
		}

		rec := &recorder{ResponseWriter: w}
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.deps.Logger.ErrorContext(r.Context(), "panic", "request_id", id, "panic", p)
				if rec.status == 0 {
					writeError(rec, errInternal())
				}
			}
			if rec.status == 0 {
				rec.status = http.StatusOK // the handler wrote nothing
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(route, rec.status, d)
			level := slog.LevelInfo
			if route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics" {
				level = slog.LevelDebug // probes every few seconds would drown the log
			}
			s.deps.Logger.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
				slog.String("path", r.URL.Path), slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.Int("bytes", rec.bytes))
		}()
		if _, pattern := mux.Handler(r); pattern == "" {
			mux.ServeHTTP(&muxErrorWriter{recorder: rec}, r)
			return
		}
		mux.ServeHTTP(rec, r)
	})
}

// muxErrorWriter replaces the mux's own 404/405 text bodies with JSON errors.
type muxErrorWriter struct {
	*recorder
	replaced bool
}

func (m *muxErrorWriter) WriteHeader(code int) {
	m.replaced = true
	m.Header().Del("X-Content-Type-Options")
	if code == http.StatusMethodNotAllowed {
		writeError(m.recorder, &apiError{Status: code, Code: "method_not_allowed", Message: "method not allowed here; see the Allow header"})
		return
	}
	writeError(m.recorder, &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such route; see server/README.md"})
}

func (m *muxErrorWriter) Write(b []byte) (int, error) {
	if !m.replaced {
		m.WriteHeader(http.StatusNotFound)
	}
	return len(b), nil
}

// internal logs the cause (never sent to the client) and answers 500.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.deps.Logger.ErrorContext(r.Context(), what, "request_id", requestID(r.Context()), "err", err)
	writeError(w, errInternal())
}
