package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/server"
	"github.com/empctl/empctl/server/config"
	"github.com/empctl/empctl/server/store"
)

// HTTP timeouts. The idle timeout must outlast the AWS ALB's 60 s, or the ALB
// reuses connections the server has already closed and answers 502.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 75 * time.Second
)

// maxHeaderBytes is what the API's requests need (a bearer token, a few
// short headers, CloudFront's and the ALB's) with ample room; Go's default
// of 1 MiB let 200 connections hold 200 MB. Larger headers get 431.
const maxHeaderBytes = 32 << 10

// setup reads the configuration and makes the JSON logger on stdout the
// default too, for libraries that log on their own (the MySQL driver).
func setup(getenv func(string) string, stdout io.Writer) (config.Config, *slog.Logger, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("bad configuration:\n%w", err)
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	return cfg, log, nil
}

func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, log, err := setup(getenv, stdout)
	if err != nil {
		return err
	}

	build := buildinfo.Get()
	if cfg.AppVersion != "" {
		build.Version = cfg.AppVersion
	}
	inst, warn := config.ResolveInstance(ctx, getenv, http.DefaultClient)
	if warn != nil {
		log.Warn("instance id falls back to the hostname", "err", warn)
	}

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	closeStore := sync.OnceFunc(func() {
		if err := st.Close(); err != nil {
			log.Error("closing the database", "err", err)
		}
	})
	defer closeStore() // on the error paths

	ln, err := listen(cfg.Addr, getenv)
	if err != nil {
		return err
	}
	var draining atomic.Bool
	api := server.NewServer(server.Deps{Store: st, Logger: log, Build: build, Instance: inst, SessionTTL: cfg.SessionTTL,
		Draining: draining.Load, Proxies: server.Proxies(cfg.Proxies), SignUpsPerHour: cfg.SignUpsPerHour,
		DebugInfo: cfg.PublicDebugInfo, OperatorKey: operatorKey(ctx, cfg.OperatorKey, log)})
	srv := newHTTPServer(api, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "version", build.Version, "commit", build.Commit,
		"instance", inst.ID, "availability_zone", inst.AvailabilityZone)

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}

	// Shutdown sequence: fail readiness at once so the load balancer stops
	// routing here, keep serving while it notices, then stop accepting and
	// wait for in-flight requests, within ECS's 30 s stop timeout.
	draining.Store(true)
	log.Info("shutdown: draining", "drain_delay", cfg.DrainDelay.String())
	time.Sleep(cfg.DrainDelay)
	log.Info("shutdown: closing the listener and waiting for in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown: requests still running at the deadline; closing them", "err", err)
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown: serve", "err", err)
	}
	closeStore()
	log.Info("shutdown: complete")
	return nil
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// openStore connects, migrates and, when asked, seeds the demo user.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Store, error) {
	st, applied, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", cfg.Database.Redacted(), err)
	}
	log.Info("database ready", "database", cfg.Database.Redacted(), "migrations_applied", applied)
	if cfg.DemoEmail != "" {
		created, err := server.SeedUser(ctx, st, cfg.DemoEmail, cfg.DemoPassword, time.Now())
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		log.Info("demo user", "email", cfg.DemoEmail, "created", created)
	}
	return st, nil
}

func seedDemo(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, log, err := setup(getenv, stdout)
	if err != nil {
		return err
	}
	if cfg.DemoEmail == "" {
		return usageError{"seed-demo needs DEMO_EMAIL and DEMO_PASSWORD in the environment"}
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	return st.Close()
}
