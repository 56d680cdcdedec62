// Package server is the empctl API: routes, handlers, middleware and metrics.
// The binary in cmd/server wires it to configuration, a listener and signals.
package server

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/server/store"
)

// Instance identifies the process serving a request.
type Instance struct {
	ID               string
	AvailabilityZone string
}

// Deps is everything the server needs; zero values get sensible defaults.
type Deps struct {
	Store    store.Store
	Logger   *slog.Logger
	Build    buildinfo.Info // Build.Version is what X-App-Version reports
	Instance Instance
	// SessionTTL is how long a login token lives (default 24h).
	SessionTTL time.Duration
	// BcryptCost defaults to bcrypt.DefaultCost; tests lower it.
	BcryptCost int
	Now        func() time.Time
}

// Server is the API as an http.Handler.
type Server struct {
	deps      Deps
	handler   http.Handler
	draining  atomic.Bool
	registry  *prometheus.Registry
	metrics   *metrics
	byEmail   *throttle
	byClient  *throttle
	dummyHash []byte
}

// NewServer builds the API. Call StartDraining when shutdown begins.
func NewServer(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = 24 * time.Hour
	}
	if d.BcryptCost == 0 {
		d.BcryptCost = bcrypt.DefaultCost
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{
		deps:     d,
		registry: prometheus.NewRegistry(),
		byEmail:  newThrottle(5, 15*time.Minute, d.Now),
		byClient: newThrottle(20, 15*time.Minute, d.Now),
	}
	// Unknown emails are checked against this hash so they cost as much time
	// as wrong passwords and do not reveal which emails have accounts.
	s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("timing equaliser, never a real password"), d.BcryptCost)
	s.metrics = newMetrics(s.registry, d.Store)
	mux := http.NewServeMux()
	addRoutes(mux, s)
	s.handler = s.middleware(mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// StartDraining makes /readyz answer 503 so load balancers stop sending new
// requests; everything else keeps working until the listener closes.
func (s *Server) StartDraining() { s.draining.Store(true) }
