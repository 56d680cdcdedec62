package stack_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"

	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
)

// fastOptions shortens the delays that pace a rollout, so that one takes
// about a second; the health grace is a limit, not a pace, and stays
// generous: a release that never turns ready fails after it.
func fastOptions(t *testing.T) stack.Options {
	return stack.Options{
		StateDir:            t.TempDir(),
		Listen:              "127.0.0.1:0",
		Replicas:            3,
		DatabaseURL:         "sqlite://unused",
		Env:                 map[string]string{"DRAIN_DELAY": "200ms"},
		Health:              balancer.HealthCheck{Path: "/readyz", Interval: 100 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2},
		DeregistrationDelay: time.Second,
		StopTimeout:         5 * time.Second,
		HealthGrace:         localtest.NeverReadyGrace,
	}
}

func startStack(t *testing.T, opts stack.Options, rel *stack.Release) *stack.Stack {
	t.Helper()
	s, err := stack.Start(context.Background(), opts, rel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

// hammer sends requests through the stack until stop is closed and counts
// the answers by version and the failures.
type hammer struct {
	mu       sync.Mutex
	versions map[string]int
	failures []string
	last     atomic.Value
}

func startHammer(url string, workers int, stop <-chan struct{}) (*hammer, *sync.WaitGroup) {
	h := &hammer{versions: map[string]int{}}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(url)
				h.mu.Lock()
				if err != nil {
					h.failures = append(h.failures, err.Error())
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						h.failures = append(h.failures, resp.Status)
					} else {
						v := resp.Header.Get("X-App-Version")
						h.versions[v]++
						h.last.Store(v)
					}
				}
				h.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	return h, &wg
}

func (h *hammer) answers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.failures)
	for _, c := range h.versions {
		n += c
	}
	return n
}

func TestStackRollsOutRollsBackAndTripsTheCircuitBreaker(t *testing.T) {
	s := startStack(t, fastOptions(t), localtest.FakeRelease(t, "v1"))
	stop := make(chan struct{})
	h, wg := startHammer(s.Endpoint()+"/api/version", 4, stop)

	var events []string
	ro, err := s.Deploy(context.Background(), localtest.FakeRelease(t, "v2"), func(ev env.Event) { events = append(events, ev.Kind) })
	if err != nil {
		t.Fatalf("deploy v2: %v", err)
	}
	if ro.Outcome != env.OutcomeCompleted || ro.Version != "v2" || ro.PreviousVersion != "v1" {
		t.Fatalf("rollout = %+v", ro)
	}
	st := s.Status()
	if st.Version != "v2" || len(st.Targets) != 3 {
		t.Fatalf("after the rollout: version %s with %d targets, want v2 with 3", st.Version, len(st.Targets))
	}
	for _, tg := range st.Targets {
		if tg.Version != "v2" {
			t.Fatalf("target %s still runs %s", tg.ID, tg.Version)
		}
	}

	// A release that never turns ready trips the breaker; v2 keeps serving.
	broken := localtest.FakeRelease(t, "v3-broken")
	broken.Env["FAKE_NEVER_READY"] = "1"
	ro, err = s.Deploy(context.Background(), broken, nil)
	if !errors.Is(err, env.ErrRolloutFailed) || ro.Outcome != env.OutcomeFailed || ro.FailedTarget == "" || len(ro.Logs) == 0 {
		t.Fatalf("broken deploy: err %v, rollout %+v; want a failed rollout with the failing replica's logs", err, ro)
	}
	if st := s.Status(); st.Version != "v2" || len(st.Targets) != 3 {
		t.Fatalf("after the failed rollout: %s with %d targets, want v2 with 3", st.Version, len(st.Targets))
	}

	if _, err := s.Deploy(context.Background(), localtest.FakeRelease(t, "v2"), nil); !errors.Is(err, env.ErrSameBuild) {
		t.Fatalf("deploying the running build again: %v, want ErrSameBuild", err)
	}
	forced := localtest.FakeRelease(t, "v2")
	forced.Force = true
	if ro, err := s.Deploy(context.Background(), forced, nil); err != nil || ro.Version != "v2+r2" {
		t.Fatalf("forced redeploy: %+v, %v; want version v2+r2", ro, err)
	}

	if ro, err := s.Rollback(context.Background(), nil); err != nil || ro.Version != "v2" {
		t.Fatalf("rollback: %+v, %v; want back to v2", ro, err)
	}
	// Let the hammer get answers sent after the rollback completed.
	after := h.answers()
	waitFor(t, "answers after the rollback", func() bool { return h.answers() >= after+20 })
	close(stop)
	wg.Wait()
	if len(h.failures) > 0 {
		t.Fatalf("%d requests failed during the rollouts, e.g. %v", len(h.failures), h.failures[0])
	}
	if h.last.Load() != "v2" {
		t.Fatalf("last answer from %v, want v2", h.last.Load())
	}
	t.Logf("answers by version: %v; events: %v", h.versions, events)
}

func TestStackReplacesAKilledReplica(t *testing.T) {
	s := startStack(t, fastOptions(t), localtest.FakeRelease(t, "v1"))
	victim := s.Status().Targets[0]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a healthy replacement", func() bool {
		st := s.Status()
		healthy := 0
		for _, tg := range st.Targets {
			if tg.ID == victim.ID {
				return false
			}
			if tg.Health == string(balancer.HealthHealthy) {
				healthy++
			}
		}
		return healthy == 3
	})
}
