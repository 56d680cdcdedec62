package server

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/empctl/empctl/server/store"
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

// newRequestID needs uniqueness, not secrecy, so it skips crypto/rand's
// system call on every request.
func newRequestID() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// recorder remembers the status and size of a response, and replaces the
// mux's own plain-text 404 and 405 (recognisable because the mux found no
// pattern) with the API's JSON errors.
type recorder struct {
	http.ResponseWriter
	req      *http.Request
	status   int
	bytes    int
	replaced bool // body of a mux error already written
}

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return
	}
	r.status = code
	if r.req.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		r.replaced = true
		e := &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no such route; the API is described at GET /api/openapi.json"}
		if code == http.StatusMethodNotAllowed {
			e = &apiError{Status: code, Code: "method_not_allowed", Message: "method not allowed here; see the Allow header"}
		}
		writeError(r.ResponseWriter, e)
		return
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.replaced {
		return len(b), nil
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware adds request ids, version headers, panic recovery, the access
// log and metrics around the mux.
func (s *api) middleware(mux *http.ServeMux) http.Handler {
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
		if s.deps.DebugInfo {
			h.Set("X-App-Instance", s.deps.Instance.ID)
		}
		// Tokens and profiles must not land in shared or browser caches; the
		// rest keeps JSON from being sniffed, framed or leaking the URL. The
		// local stack and a direct ALB path have no CloudFront to add them.
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if s.deps.Draining() {
			// Clients learn in this response to reconnect (to another
			// replica); closing idle connections instead would race with
			// requests already on their way.
			h.Set("Connection", "close")
		}

		rec := &recorder{ResponseWriter: w, req: r}
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
			if route == "GET /healthz" || route == "GET /readyz" || route == "GET /healthz/deep" || route == "GET /metrics" {
				level = slog.LevelDebug // probes every few seconds would drown the log
			}
			s.deps.Logger.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
				slog.String("path", r.URL.Path), slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.Int("bytes", rec.bytes))
		}()
		mux.ServeHTTP(rec, r)
	})
}

// internal logs the cause (never sent to the client) and answers 500, or
// 503 when the database is unavailable (see unavailable.go).
func (s *api) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.deps.Logger.ErrorContext(r.Context(), what, "request_id", requestID(r.Context()), "err", err)
	if errors.Is(err, store.ErrUnavailable) {
		writeError(w, errDatabaseUnavailable())
		return
	}
	writeError(w, errInternal())
}
