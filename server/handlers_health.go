package server

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, healthy)
	})
}

var healthy = struct {
	Status string `json:"status"`
}{"ok"}

func handleReadyz(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Draining() {
			writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: "shutting down"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.deps.Store.Ping(ctx); err != nil {
			s.deps.Logger.WarnContext(r.Context(), "readiness: database unreachable", "request_id", requestID(r.Context()), "err", err)
			writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: "database unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

func handleMetrics(s *api) http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
}

func handleVersion(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.deps.Build
		writeJSON(w, http.StatusOK, map[string]string{
			"version": b.Version, "commit": b.Commit, "buildTime": b.BuildTime,
			"goVersion": b.GoVersion, "platform": b.Platform,
			"instanceId": s.deps.Instance.ID, "availabilityZone": s.deps.Instance.AvailabilityZone,
		})
	})
}
