// Package stack supervises the local environment the way ECS behind an ALB
// runs the app on AWS: server replicas as child processes behind the load
// balancer (package balancer) and the webapp (package webroot), rolling
// deploys with a circuit breaker, progressive ones (blue/green, canary,
// linear) promoted by a gate (progressive.go), replacements for replicas
// that die, and an orderly shutdown.
package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/webroot"
)

// Release is one server build that replicas run.
type Release struct {
	Version string `json:"version"`
	Binary  string `json:"binary"`
	Digest  string `json:"digest,omitempty"`
	// Args are passed to the binary (the server needs none).
	Args []string          `json:"args,omitempty"`
	Env  map[string]string `json:"env,omitempty"`
	// Force deploys a build identical to the running one as a new version.
	Force bool `json:"force,omitempty"`
}

// The defaults of the stack, which are `empctl up`'s (its flags take them
// from here) and the end-to-end tests'.
const (
	DefaultReplicas            = 3
	DefaultDeregistrationDelay = 5 * time.Second
	DefaultStopTimeout         = 30 * time.Second // as ECS
	DefaultHealthGrace         = 60 * time.Second
	// DefaultDrainDelay is the replicas' DRAIN_DELAY: how long one keeps
	// serving after SIGTERM, while the balancer takes it out of service.
	DefaultDrainDelay = 2 * time.Second
)

// Options configure the stack. Zero values take the defaults noted.
type Options struct {
	// StateDir holds the logs, the web releases and the control socket (.empctl/local).
	StateDir string
	// Listen is the load balancer's address (127.0.0.1:8080).
	Listen string
	// Replicas is the desired count (3).
	Replicas int
	// DatabaseURL is given to every replica (a SQLite file under StateDir).
	DatabaseURL string
	// Env is added to every replica's environment (DRAIN_DELAY, DEMO_EMAIL, ...).
	Env    map[string]string
	Health balancer.HealthCheck
	// DeregistrationDelay is the longest a draining replica keeps its in-flight
	// requests before it is stopped (5 s).
	DeregistrationDelay time.Duration
	// StopTimeout is the time between SIGTERM and SIGKILL (30 s, as ECS).
	StopTimeout time.Duration
	// HealthGrace is how long a new replica may take to turn healthy before the
	// rollout fails (60 s).
	HealthGrace time.Duration
	// WebDist, if set, is the webapp build to publish at start.
	WebDist string
	// Events receives every event (replica started, healthy, draining, ...).
	Events func(env.Event)
}

func (o *Options) setDefaults() {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8080"
	}
	if o.Replicas <= 0 {
		o.Replicas = DefaultReplicas
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL = "sqlite://" + filepath.Join(o.StateDir, "app.db")
	}
	d := balancer.DefaultHealthCheck()
	if o.Health.Path == "" {
		o.Health.Path = d.Path
	}
	if o.Health.Interval <= 0 {
		o.Health.Interval = d.Interval
	}
	if o.Health.Timeout <= 0 {
		o.Health.Timeout = d.Timeout
	}
	if o.Health.HealthyThreshold <= 0 {
		o.Health.HealthyThreshold = d.HealthyThreshold
	}
	if o.Health.UnhealthyThreshold <= 0 {
		o.Health.UnhealthyThreshold = d.UnhealthyThreshold
	}
	if o.DeregistrationDelay <= 0 {
		o.DeregistrationDelay = DefaultDeregistrationDelay
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.HealthGrace <= 0 {
		o.HealthGrace = DefaultHealthGrace
	}
}

// Stack is a running local environment.
type Stack struct {
	opts Options
	// operatorKey is the path of the replicas' OPERATOR_KEY_FILE.
	operatorKey string
	lb          *balancer.Balancer
	web         *webroot.Root
	srv         *http.Server
	endpoint    string
	started     time.Time

	deployMu sync.Mutex // one rollout (or replacement) at a time
	emitMu   sync.Mutex // event callbacks run one at a time, in order

	mu        sync.Mutex
	replicas  []*replica
	current   *Release
	previous  *Release
	rolling   *Release // the release a rollout in progress starts
	versions  map[string]bool
	deploying bool
	closing   bool
	progress  func(env.Event) // the running rollout's listener
	prog      *progressiveRun // the progressive rollout in flight, if one is
	// onStopped run last in Shutdown (closing the control socket, so that
	// `empctl down` sees the stack running until everything has stopped).
	onStopped   []func()
	fastCrashes int

	// closingCh is closed when Shutdown begins: a rollout in progress
	// stops waiting for its new replicas.
	closingCh chan struct{}
	done      chan struct{}
	shutdown  sync.Once
}

// ErrClosing is the answer to a rollout asked for while the stack shuts down.
var ErrClosing = errors.New("the local environment is shutting down: wait for `empctl up` to exit, start it again, then retry")

// Start starts the load balancer and the replicas of rel, and returns once
// they are all healthy. If they are not healthy within the grace period,
// everything is stopped and the error carries the failing replica's last log lines.
func Start(ctx context.Context, opts Options, rel *Release) (*Stack, error) {
	opts.setDefaults()
	if err := os.MkdirAll(opts.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", opts.StateDir, err)
	}
	keyFile, err := EnsureOperatorKey(opts.StateDir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("the load balancer cannot listen on %s (%w); pick another address with --listen", opts.Listen, err)
	}
	s := &Stack{opts: opts, operatorKey: keyFile, started: time.Now(), versions: map[string]bool{}, closingCh: make(chan struct{}), done: make(chan struct{})}
	s.endpoint = "http://" + ln.Addr().String()
	s.lb = balancer.New(opts.Health, s.onHealth)
	s.web = webroot.New(filepath.Join(opts.StateDir, "web"))
	if opts.WebDist != "" {
		if _, err := s.web.Publish(opts.WebDist); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", s.lb)
	mux.Handle("/", s.web)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()

	s.emit("start", "", rel.Version, fmt.Sprintf("load balancer listening on %s; starting %d replicas of %s", s.endpoint, opts.Replicas, rel.Version))
	s.deployMu.Lock()
	s.versions[rel.Version] = true
	news, err := s.startSet(balancer.GroupServing, rel)
	if err == nil {
		err = s.waitHealthy(ctx, news)
	}
	if err == nil {
		s.mu.Lock()
		s.current = rel
		s.mu.Unlock()
	}
	s.deployMu.Unlock()
	if err != nil {
		_ = s.Shutdown(context.Background())
		return nil, err
	}
	s.emit("ready", "", rel.Version, fmt.Sprintf("%d replicas of %s healthy", len(news), rel.Version))
	return s, nil
}

// Endpoint is the load balancer's base URL.
func (s *Stack) Endpoint() string { return s.endpoint }

// OnStopped adds fn to what Shutdown runs last, once every replica has stopped.
func (s *Stack) OnStopped(fn func()) {
	s.mu.Lock()
	s.onStopped = append(s.onStopped, fn)
	s.mu.Unlock()
}

// StateDir is the directory holding the stack's logs, web releases and sockets.
func (s *Stack) StateDir() string { return s.opts.StateDir }

// Done is closed once the stack has shut down.
func (s *Stack) Done() <-chan struct{} { return s.done }

// Shutdown stops the stack: it refuses new rollouts, ends a rollout in
// progress (its new replicas are stopped), stops the load balancer, then
// every replica that remains (SIGTERM, SIGKILL after the stop timeout).
func (s *Stack) Shutdown(ctx context.Context) error {
	var err error
	s.shutdown.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		close(s.closingCh)
		// Every launch holds deployMu: once we hold it, no replica starts.
		s.deployMu.Lock()
		defer s.deployMu.Unlock()
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = s.srv.Shutdown(sctx)
		cancel()
		s.lb.Close()
		s.mu.Lock()
		reps := append([]*replica(nil), s.replicas...)
		s.mu.Unlock()
		var wg sync.WaitGroup
		for _, r := range reps {
			wg.Go(func() { r.stop(s.opts.StopTimeout) })
		}
		wg.Wait()
		s.mu.Lock()
		onStopped := s.onStopped
		s.mu.Unlock()
		for _, fn := range onStopped {
			fn()
		}
		s.emit("stopped", "", "", "local environment stopped")
		close(s.done)
	})
	return err
}

func (s *Stack) emit(kind, target, version, msg string) {
	s.send(env.Event{Time: time.Now(), Kind: kind, Target: target, Version: version, Message: msg})
}

// send passes ev to the stack's and the running rollout's listeners.
func (s *Stack) send(ev env.Event) {
	s.mu.Lock()
	progress := s.progress
	s.mu.Unlock()
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if s.opts.Events != nil {
		s.opts.Events(ev)
	}
	if progress != nil {
		progress(ev)
	}
}

func (s *Stack) onHealth(id string, h balancer.Health) {
	if h == balancer.HealthDraining {
		return // drainAndStop reports it
	}
	version := ""
	if r := s.replica(id); r != nil {
		version = r.rel.Version
	}
	s.emit("health", id, version, fmt.Sprintf("%s is %s", id, h))
}

func (s *Stack) replica(id string) *replica {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.replicas {
		if r.id == id {
			return r
		}
	}
	return nil
}

// startSet starts the desired count of rel's replicas and registers them in
// the balancer's group g.
func (s *Stack) startSet(g balancer.Group, rel *Release) ([]*replica, error) {
	var out []*replica
	for range s.opts.Replicas {
		r, err := s.launch(g, rel)
		if err != nil {
			for _, r := range out {
				s.lb.Remove(r.id)
				r.stop(s.opts.StopTimeout)
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// launch starts one replica, registers it with the balancer's group g in the
// initial state and watches it. The caller holds deployMu, so Shutdown, which takes
// it before stopping the replicas, sees every replica launched.
func (s *Stack) launch(g balancer.Group, rel *Release) (*replica, error) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		return nil, ErrClosing
	}
	// The replicas keep the server's throttles (every client of the local
	// stack is this machine, as a CI runner is on AWS); empctl's gate and
	// verify send the operator key.
	envv := []string{"DATABASE_URL=" + s.opts.DatabaseURL, "OPERATOR_KEY_FILE=" + s.operatorKey}
	for k, v := range s.opts.Env {
		envv = append(envv, k+"="+v)
	}
	r, err := startReplica(rel, filepath.Join(s.opts.StateDir, "logs"), envv)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.replicas = append(s.replicas, r)
	s.mu.Unlock()
	if err := s.lb.RegisterIn(g, r.id, r.addr); err != nil {
		r.stop(s.opts.StopTimeout)
		return nil, ErrClosing
	}
	s.emit("started", r.id, rel.Version, fmt.Sprintf("%s started (%s, pid %d) on %s", r.id, rel.Version, r.pid(), r.addr))
	go s.watch(r)
	return r, nil
}

// watch removes a replica once its process has exited and, when the exit was
// not asked for, replaces it as ECS replaces a stopped task.
func (s *Stack) watch(r *replica) {
	<-r.exited
	s.lb.Remove(r.id)
	_, stopping := r.getState()
	s.mu.Lock()
	for i, x := range s.replicas {
		if x == r {
			s.replicas = append(s.replicas[:i:i], s.replicas[i+1:]...)
			break
		}
	}
	// A replica of the release being rolled out is replaced too: once the
	// rollout switches, it is the current one.
	replace := !stopping && !s.closing && (r.rel == s.current || r.rel == s.rolling)
	var delay time.Duration
	if replace {
		// Back off when replacements keep dying young, as ECS throttles task launches.
		if time.Since(r.started) < 10*time.Second {
			delay = min(time.Second<<s.fastCrashes, 30*time.Second)
			s.fastCrashes = min(s.fastCrashes+1, 5)
		} else {
			s.fastCrashes = 0
		}
	}
	s.mu.Unlock()
	if stopping {
		return
	}
	s.emit("exited", r.id, r.rel.Version, fmt.Sprintf("%s exited unexpectedly (%s); last log lines:\n%s", r.id, r.exitReason(), indent(r.lastLogLines(5))))
	if replace {
		go s.replace(delay)
	}
}

// replace starts replicas of the current release until the desired count runs again.
func (s *Stack) replace(delay time.Duration) {
	select {
	case <-time.After(delay):
	case <-s.done:
		return
	}
	s.deployMu.Lock()
	defer s.deployMu.Unlock()
	s.mu.Lock()
	rel, closing := s.current, s.closing
	running := 0
	for _, r := range s.replicas {
		if _, stopping := r.getState(); r.rel == rel && !stopping {
			running++
		}
	}
	s.mu.Unlock()
	if closing {
		return
	}
	for range s.opts.Replicas - running {
		r, err := s.launch(balancer.GroupServing, rel)
		if err != nil {
			s.emit("error", "", rel.Version, "could not start a replacement replica: "+err.Error())
			go s.replace(min(2*delay+time.Second, 30*time.Second))
			return
		}
		s.emit("replaced", r.id, rel.Version, r.id+" replaces a replica that exited")
	}
}

// rolloutError is a rollout failure caused by one replica.
type rolloutError struct {
	r   *replica
	msg string
}

func (e *rolloutError) Error() string { return e.msg }

// waitHealthy waits until every replica has passed its health checks, each
// within the grace period from its start.
func (s *Stack) waitHealthy(ctx context.Context, reps []*replica) error {
	for _, r := range reps {
		timer := time.NewTimer(time.Until(r.started.Add(s.opts.HealthGrace)))
		select {
		case <-s.lb.Healthy(r.id):
			s.emit("registered", r.id, r.rel.Version, r.id+" passed its health checks and is in service")
		case <-r.exited:
			timer.Stop()
			return &rolloutError{r, fmt.Sprintf("replica %s of %s exited before passing its health checks (%s)", r.id, r.rel.Version, r.exitReason())}
		case <-timer.C:
			return &rolloutError{r, fmt.Sprintf("replica %s of %s did not pass its health checks (%s) within the %s grace period", r.id, r.rel.Version, s.opts.Health.Path, s.opts.HealthGrace)}
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("rollout cancelled: %w", ctx.Err())
		case <-s.closingCh:
			timer.Stop()
			return ErrClosing
		}
		timer.Stop()
	}
	return nil
}

func indent(lines []string) string {
	if len(lines) == 0 {
		return "    (no output)"
	}
	return "    " + strings.Join(lines, "\n    ")
}
