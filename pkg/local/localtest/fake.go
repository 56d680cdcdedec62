package localtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/local/stack"
)

// A test binary doubles as a FAKE replica (a stand-in for the real server in
// the supervisor's and the control socket's unit tests; the end-to-end tests
// use the real server): run with EMPCTL_FAKE_REPLICA=1 it serves the
// server's readiness and version contract and shuts down the way it does on
// SIGTERM. A package using FakeRelease calls RunFakeReplica first in its
// TestMain.

// RunFakeReplica runs the fake replica and exits when this process was
// started as one; otherwise it returns at once.
func RunFakeReplica() {
	if os.Getenv("EMPCTL_FAKE_REPLICA") == "1" {
		os.Exit(fakeReplicaMain())
	}
}

func fakeReplicaMain() int {
	var draining atomic.Bool
	version, instance := os.Getenv("APP_VERSION"), os.Getenv("INSTANCE_ID")
	neverReady := os.Getenv("FAKE_NEVER_READY") == "1"
	if os.Getenv("FAKE_EXIT_AT_START") == "1" {
		fmt.Fprintln(os.Stderr, "fake replica: exiting at start as asked")
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if neverReady || draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(d)
		}
		if r.URL.Query().Get("hang") != "" {
			select {} // until killed
		}
		w.Header().Set("X-App-Version", version)
		w.Header().Set("X-App-Instance", instance)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"version": version, "instanceId": instance})
	})
	// As the real server: the socket the stack handed over (LISTEN_FD), else HOST:PORT.
	var ln net.Listener
	var err error
	if fd, _ := strconv.Atoi(os.Getenv("LISTEN_FD")); fd >= 3 {
		ln, err = net.FileListener(os.NewFile(uintptr(fd), "LISTEN_FD"))
	} else {
		ln, err = net.Listen("tcp", net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT")))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake replica:", err)
		return 1
	}
	fmt.Println("fake replica", instance, "of", version, "listening on", ln.Addr())
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	draining.Store(true)
	delay, _ := time.ParseDuration(os.Getenv("DRAIN_DELAY"))
	time.Sleep(delay)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	fmt.Println("fake replica", instance, "stopped")
	return 0
}

// FakeRelease is a release whose replicas are fake replicas: this test binary.
// FAKE_NEVER_READY=1 in its Env makes them fail /readyz, FAKE_EXIT_AT_START=1
// exit at once; /api/...?sleep=D answers after D, ?hang=1 never.
func FakeRelease(t testing.TB, version string) *stack.Release {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &stack.Release{Version: version, Binary: exe, Digest: "fake-" + version, Args: []string{"-test.run=^$"}, Env: map[string]string{"EMPCTL_FAKE_REPLICA": "1"}}
}
