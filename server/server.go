// Package server is the empctl API: routes, handlers, middleware and metrics.
// The binary in cmd/server wires it to configuration, a listener and signals.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
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

// Deps is everything the server needs. Store is required; the other zero
// values get sensible defaults.
type Deps struct {
	Store    store.Store
	Logger   *slog.Logger
	Build    buildinfo.Info // Build.Version is what X-App-Version reports
	Instance Instance
	// DebugInfo adds the build time, Go version, instance and zone to
	// /api/version and X-App-Instance to every response; without it they
	// say only the version and commit (PUBLIC_DEBUG_INFO).
	DebugInfo bool
	// SessionTTL is how long a login token lives (default 24h).
	SessionTTL time.Duration
	// BcryptCost defaults to bcrypt.DefaultCost; tests lower it.
	BcryptCost int
	// HashConcurrency bounds bcrypt calls at once (default GOMAXPROCS).
	HashConcurrency int
	// Proxies says whose forwarded headers name the client (throttling keys
	// on the client); the zero value trusts loopback and private ranges, 1 hop.
	Proxies Proxies
	// SignUpsPerHour is how many sign-ups one client may attempt per hour
	// (default 20, at most maxRateLimit).
	SignUpsPerHour int
	// OperatorKey, when set, turns the operator allowance on: requests
	// carrying it in OperatorHeader count against OperatorBudget instead of
	// their client address's limits (operator.go).
	OperatorKey    string
	OperatorBudget OperatorBudget // zero fields take DefaultOperatorBudget's
	Now            func() time.Time
	// Draining reports that shutdown has begun: /readyz answers 503 so load
	// balancers stop sending new requests, and everything else keeps working
	// until the listener closes. Nil means never.
	Draining func() bool
}

// api is the state the handlers share.
type api struct {
	deps      Deps
	registry  *prometheus.Registry
	metrics   *metrics
	guard     *attemptGuard // password guesses: login and password change
	signUps   *rateLimit    // per client
	profiles  *rateLimit    // reads of other users' profiles, per client and per reader
	hashes    *hashSlots
	operator  operator
	dummyHash []byte
	lastSweep atomic.Int64 // Unix ms of this process's last Sweep
	openAPI   servedDocument
}

// NewServer builds the API: every route of routes.go behind the middleware.
func NewServer(d Deps) http.Handler { return newAPI(d).handler() }

func newAPI(d Deps) *api {
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
	if d.Draining == nil {
		d.Draining = func() bool { return false }
	}
	if d.SignUpsPerHour <= 0 {
		d.SignUpsPerHour = 20
	}
	if d.SignUpsPerHour > maxRateLimit {
		d.Logger.Warn("SIGN_UPS_PER_HOUR is more than the throttle can count; using its maximum", "asked", d.SignUpsPerHour, "using", maxRateLimit)
		d.SignUpsPerHour = maxRateLimit
	}
	if d.HashConcurrency <= 0 {
		d.HashConcurrency = runtime.GOMAXPROCS(0)
	}
	d.Proxies = d.Proxies.withDefaults()
	s := &api{
		deps:     d,
		registry: prometheus.NewRegistry(),
		guard:    newAttemptGuard(d.Store, defaultGuardPolicy, d.Now),
		signUps:  newRateLimit(d.Store, "sign-up", d.SignUpsPerHour, time.Hour, d.Now),
		profiles: newRateLimit(d.Store, "profile", profileReadsPerHour, time.Hour, d.Now),
		hashes:   newHashSlots(d.HashConcurrency),
		operator: newOperator(d.OperatorKey, d.OperatorBudget, d.Store, d.Now),
	}
	// Unknown emails are checked against this hash so they cost as much time
	// as wrong passwords and do not reveal which emails have accounts.
	s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("timing equaliser, never a real password"), d.BcryptCost)
	var err error
	if s.openAPI, err = newServedDocument(d.Build.Version); err != nil {
		panic(err) // the embedded document is checked by the tests
	}
	s.metrics = newMetrics(s.registry, d.Store)
	s.registry.MustRegister(newDatabaseUp(s))
	return s
}

// sweepEvery: each process deletes expired throttle rows and sessions at
// most this often, in the request that finds it due.
const sweepEvery = time.Minute

func (s *api) maybeSweep(ctx context.Context) {
	now := s.deps.Now()
	last := s.lastSweep.Load()
	if now.UnixMilli()-last < sweepEvery.Milliseconds() || !s.lastSweep.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	if err := s.deps.Store.Sweep(ctx, now); err != nil {
		s.deps.Logger.WarnContext(ctx, "deleting expired throttles and sessions", "request_id", requestID(ctx), "err", err)
	}
}

func (s *api) handler() http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, s)
	return s.middleware(mux)
}
