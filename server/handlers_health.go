package server

import (
	"net/http"

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

// handleReadyz is the load balancer's health check, so it is shallow: the
// server only listens once the store is open and migrated, and a database
// outage later is not the task's fault (replacing every task at once would
// only add a restart storm to it). Requests that need the database answer 503
// meanwhile; /healthz/deep and empctl_database_up report the database.
func handleReadyz(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Draining() {
			writeError(w, &apiError{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: "shutting down"})
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
		v := map[string]string{"version": b.Version, "commit": b.Commit, "platform": b.Platform}
		if s.deps.DebugInfo {
			v["buildTime"], v["goVersion"] = b.BuildTime, b.GoVersion
			v["instanceId"], v["availabilityZone"] = s.deps.Instance.ID, s.deps.Instance.AvailabilityZone
		}
		writeJSON(w, http.StatusOK, v)
	})
}
