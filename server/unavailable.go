package server

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// retryAfterSeconds is what a client is told to wait while the database is
// down: a failover or a connection storm usually clears within seconds.
const retryAfterSeconds = 5

// deepCheckTimeout bounds the database ping of /healthz/deep and of the
// database_up metric.
const deepCheckTimeout = 2 * time.Second

func errDatabaseUnavailable() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "database_unavailable",
		Message: "the database is unavailable right now; retry in a few seconds", RetryAfter: retryAfterSeconds}
}

// handleDeepHealth reports whether the database answers. It is for people
// and monitors, never a load balancer's health check: a database outage
// would fail every task at once and make ECS replace them all.
func handleDeepHealth(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.pingDatabase(r.Context()); err != nil {
			s.deps.Logger.WarnContext(r.Context(), "deep health check: database unreachable", "request_id", requestID(r.Context()), "err", err)
			writeError(w, errDatabaseUnavailable())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
	})
}

func (s *api) pingDatabase(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, deepCheckTimeout)
	defer cancel()
	return s.deps.Store.Ping(ctx)
}

// newDatabaseUp pings the database at each scrape, so the metric is as fresh
// as the scrape and costs nothing between scrapes.
func newDatabaseUp(s *api) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "empctl_database_up", Help: "1 if the database answered a ping at this scrape (within 2s), else 0.",
	}, func() float64 {
		if s.pingDatabase(context.Background()) != nil {
			return 0
		}
		return 1
	})
}
