package stack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
	"github.com/empctl/empctl/pkg/rollout"
)

// clientLoad is an independent load on the public endpoint, as users make
// it: reads of /api/version and, with signUps, sign-ups; it records which
// version answered each request and every request that failed.
type clientLoad struct {
	mu       sync.Mutex
	answers  map[string]int // by version
	failures []string
	failedBy map[string]int // failed requests by the version that answered them
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// productionClient sends from 127.0.0.2: production's clients are other
// addresses than the gate's (127.0.0.1), as on AWS, so that the sign-up
// throttle, which counts per client address over every replica, tells them
// apart (the balancer passes the address on, as CloudFront does).
var productionClient = clientFrom(net.IPv4(127, 0, 0, 2))

func clientFrom(ip net.IP) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext}}
}

// signUpsPerAddress is how many sign-ups production's load sends from one
// address before it moves to the next (127.0.1.x): fewer than the most a
// release may allow (250 an hour), however fast the machine hashes, and more
// than a misconfigured release's few.
const signUpsPerAddress = 100

func startLoad(endpoint string, readers, signUpers int) *clientLoad {
	l := &clientLoad{answers: map[string]int{}, failedBy: map[string]int{}, stop: make(chan struct{})}
	worker := func(signUp bool) {
		client := productionClient
		for n := 0; ; n++ {
			select {
			case <-l.stop:
				return
			default:
			}
			var resp *http.Response
			var err error
			if signUp {
				req, _ := http.NewRequest(http.MethodPost, endpoint+"/api/users", bytes.NewReader(localtest.SignUp()))
				req.Header.Set("Content-Type", "application/json")
				if n%signUpsPerAddress == 0 {
					client = clientFrom(net.IPv4(127, 0, 1, byte(2+n/signUpsPerAddress)))
				}
				resp, err = client.Do(req)
			} else {
				resp, err = productionClient.Get(endpoint + "/api/version")
			}
			l.mu.Lock()
			switch {
			case err != nil:
				l.failures = append(l.failures, err.Error())
			default:
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				v := resp.Header.Get("X-App-Version")
				l.answers[v]++
				if resp.StatusCode/100 != 2 {
					l.failures = append(l.failures, fmt.Sprintf("%s from %q", resp.Status, v))
					l.failedBy[v]++
				}
			}
			l.mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}
	for range readers {
		l.wg.Go(func() { worker(false) })
	}
	for range signUpers {
		l.wg.Go(func() { worker(true) })
	}
	return l
}

func (l *clientLoad) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.failures)
	for v, c := range l.answers {
		n += c - l.failedBy[v]
	}
	return n
}

func (l *clientLoad) end() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// progressiveOptions are the local stack's for these tests, with the most
// sign-ups an address may make, so that only a release's own lower limit
// refuses production's.
func progressiveOptions(t *testing.T) stack.Options {
	opts := localtest.Options(t)
	opts.Env["SIGN_UPS_PER_HOUR"] = "250"
	return opts
}

func config(s rollout.Strategy, bake time.Duration) rollout.Config {
	c := rollout.Defaults(true)
	c.Strategy, c.CanaryBake, c.StepBake, c.Bake = s, bake, bake, bake
	return c
}

func release(t *testing.T, env map[string]string) *stack.Release {
	rel := localtest.ServerRelease(t)
	rel.Force, rel.Env = true, env
	return rel
}

// A good release is promoted by every progressive strategy under an
// independent load without one failed request; the production weight on
// the new version rises step by step (the events say so, and the
// balancer's counters agree), and status shows the rollout in flight.
func TestProgressiveStrategiesPromoteAGoodRelease(t *testing.T) {
	s := localtest.Start(t, progressiveOptions(t))
	load := startLoad(s.Endpoint(), 4, 0)
	defer load.end()
	for _, strategy := range []rollout.Strategy{rollout.BlueGreen, rollout.Canary, rollout.Linear} {
		cfg := config(strategy, 2*time.Second)
		var statuses []env.Status
		gate := &localtest.TestGate{Reads: 20, SignUps: 3, OnStage: func(rollout.Stage, int) { statuses = append(statuses, s.Status()) }}
		var shifts []float64
		var shares []float64
		ro, err := s.DeployWith(context.Background(), release(t, nil), env.DeployOptions{Strategy: cfg, Gate: gate}, func(ev env.Event) {
			if ev.Kind == "shift" {
				shifts = append(shifts, ev.Rollout.Weight)
			}
			if v := ev.Verdict; v != nil && v.New != nil {
				shares = append(shares, 100*float64(v.New.Requests)/float64(v.New.Requests+v.Old.Requests))
			}
		})
		if err != nil || ro.Outcome != env.OutcomeCompleted {
			t.Fatalf("%s: %+v, %v", strategy, ro, err)
		}
		var want []float64
		for _, st := range cfg.Steps() {
			want = append(want, st.Weight)
		}
		if fmt.Sprint(shifts) != fmt.Sprint(want) {
			t.Fatalf("%s: production weights %v, want %v", strategy, shifts, want)
		}
		// Each step's share of production requests on the new version
		// rises with the weight, and the last is all of it but the
		// requests routed before the shift and answered after.
		for i, share := range shares[1:] { // shares[0] is the test stage's: 0
			if (i > 0 && share <= shares[i]) || (i == len(shares)-2 && share < 95) {
				t.Fatalf("%s: the new version's share of production by step was %v, want it rising to 100 (weights %v)", strategy, shares, want)
			}
		}
		if len(ro.Verdicts) != len(want)+1 || ro.Verdicts[0].Stage != rollout.StageTestTraffic || ro.Verdicts[len(want)].Stage != rollout.StageBake {
			t.Fatalf("%s: verdicts %+v", strategy, ro.Verdicts)
		}
		if p := statuses[1].Progressive; p == nil || p.Strategy != strategy || p.Stage != rollout.StageProductionShift && p.Stage != rollout.StageBake || p.Weight != want[0] || p.BakeEnds.IsZero() {
			t.Fatalf("%s: status during the first step: %+v", strategy, p)
		}
		if st := s.Status(); st.Version != ro.Version || st.Progressive != nil || len(st.Targets) != 3 {
			t.Fatalf("%s: after the rollout: %+v", strategy, st)
		}
		t.Logf("%s: weights %v, new version's share by step %v, took %s", strategy, shifts, shares, ro.Duration().Round(100*time.Millisecond))
	}
	load.end()
	if len(load.failures) > 0 {
		t.Fatalf("%d of %d requests failed across the rollouts, e.g. %s", len(load.failures), load.total(), load.failures[0])
	}
	t.Logf("answers by version: %v", load.answers)
}

// A release that passes its health checks but fails real requests (its
// sign-up limit set to one per hour, a misconfiguration) is rolled back by
// the test gate: production never reaches it.
func TestProgressiveRollsBackAtTheTestGate(t *testing.T) {
	s := localtest.Start(t, progressiveOptions(t))
	serving := s.Status().Version
	load := startLoad(s.Endpoint(), 4, 1)
	defer load.end()
	gate := &localtest.TestGate{Reads: 5, SignUps: 4} // 4 sign-ups over 3 replicas: one gets two
	ro, err := s.DeployWith(context.Background(), release(t, map[string]string{"SIGN_UPS_PER_HOUR": "1"}), env.DeployOptions{Strategy: config(rollout.Canary, time.Minute), Gate: gate}, nil)
	if !errors.Is(err, env.ErrRolloutFailed) || ro.Outcome != env.OutcomeFailed || !strings.Contains(err.Error(), "test-traffic") {
		t.Fatalf("deploy: %+v, %v; want a rollback at the test gate", ro, err)
	}
	if n := len(ro.Verdicts); n != 1 || ro.Verdicts[0].Promote || ro.Verdicts[0].New.Requests != 0 {
		t.Fatalf("verdicts %+v: want one, at the test stage, with no production request on the new version", ro.Verdicts)
	}
	n := load.total()
	waitFor(t, "load after the rollback", func() bool { return load.total() >= n+50 })
	load.end()
	if load.answers[ro.Version] != 0 || len(load.failures) != 0 {
		t.Fatalf("production requests: %d answered by %s, %d failed (%v): want none of either", load.answers[ro.Version], ro.Version, len(load.failures), load.failures)
	}
	if st := s.Status(); st.Version != serving || len(st.Targets) != 3 {
		t.Fatalf("after the rollback: %+v", st)
	}
	t.Logf("%s; answers by version %v", err, load.answers)
}

// A release that fails only under production traffic (its sign-up limit
// too low for production's sign-ups) passes the test gate and is rolled
// back at the canary step: only requests the canary answered failed.
func TestProgressiveRollsBackAtTheCanaryStep(t *testing.T) {
	s := localtest.Start(t, progressiveOptions(t))
	serving := s.Status().Version
	load := startLoad(s.Endpoint(), 4, 2)
	defer load.end()
	gate := &localtest.TestGate{Reads: 5, SignUps: 2, ProbeSignUps: true}
	cfg := config(rollout.Canary, 10*time.Minute)
	ro, err := s.DeployWith(context.Background(), release(t, map[string]string{"SIGN_UPS_PER_HOUR": "3"}), env.DeployOptions{Strategy: cfg, Gate: gate}, nil)
	if !errors.Is(err, env.ErrRolloutFailed) || len(ro.Verdicts) != 2 || ro.Verdicts[1].Stage != rollout.StageProductionShift || ro.Verdicts[1].Promote {
		t.Fatalf("deploy: %+v, %v; want a rollback at the canary step", ro, err)
	}
	load.end()
	total, canary := load.total(), load.answers[ro.Version]
	for v, n := range load.failedBy {
		if v != ro.Version {
			t.Fatalf("%d requests answered by %s failed: only the canary's may", n, v)
		}
	}
	if len(load.failures) != load.failedBy[ro.Version] || canary*100 > total*(int(cfg.CanaryPercent)+5)+500 {
		t.Fatalf("failures %d (%v), canary answered %d of %d: want failures only from the canary, within its %g%% share", len(load.failures), load.failures, canary, total, cfg.CanaryPercent)
	}
	if st := s.Status(); st.Version != serving || len(st.Targets) != 3 {
		t.Fatalf("after the rollback: %+v", st)
	}
	t.Logf("%s; %d of %d requests failed, the canary answered %d", err, len(load.failures), total, canary)
}

// Ctrl-C while the gate watches a step rolls back: no one vouched for the
// release. `empctl rollback` during a bake does the same at once, and the
// deploy says it was rolled back.
func TestProgressiveCancelAndRollbackDuringABake(t *testing.T) {
	s := localtest.Start(t, progressiveOptions(t))
	serving := s.Status().Version
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gate := &localtest.TestGate{Reads: 5, OnStage: func(st rollout.Stage, _ int) {
		if st == rollout.StageProductionShift {
			cancel()
		}
	}}
	ro, err := s.DeployWith(ctx, release(t, nil), env.DeployOptions{Strategy: config(rollout.Linear, 10*time.Minute), Gate: gate}, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "rolled back: no one vouched for it") || ro.Outcome != env.OutcomeFailed {
		t.Fatalf("cancelled deploy: %+v, %v", ro, err)
	}
	if st := s.Status(); st.Version != serving || len(st.Targets) != 3 {
		t.Fatalf("after the cancelled rollout: %+v", st)
	}

	rolledBack := make(chan env.Rollout, 1)
	gate = &localtest.TestGate{Reads: 5, OnStage: func(st rollout.Stage, _ int) {
		if st == rollout.StageProductionShift {
			go func() {
				ro, err := s.Rollback(context.Background(), nil)
				if err != nil {
					t.Errorf("rollback during the bake: %v", err)
				}
				rolledBack <- ro
			}()
		}
	}}
	ro, err = s.DeployWith(context.Background(), release(t, nil), env.DeployOptions{Strategy: config(rollout.Canary, 10*time.Minute), Gate: gate}, nil)
	if !errors.Is(err, env.ErrRolloutFailed) || !strings.Contains(err.Error(), "empctl rollback") {
		t.Fatalf("deploy rolled back during its bake: %+v, %v", ro, err)
	}
	if rb := <-rolledBack; rb.Version != serving || rb.Outcome != env.OutcomeCompleted {
		t.Fatalf("rollback result %+v, want %s serving", rb, serving)
	}
	if st := s.Status(); st.Version != serving || len(st.Targets) != 3 {
		t.Fatalf("after the rollback: %+v", st)
	}
}

// Shutting the stack down during a bake ends the rollout at once rather
// than waiting for the bake.
func TestProgressiveShutdownDuringABake(t *testing.T) {
	s := localtest.Start(t, progressiveOptions(t))
	gate := &localtest.TestGate{Reads: 2, OnStage: func(st rollout.Stage, _ int) {
		if st == rollout.StageProductionShift {
			go func() { _ = s.Shutdown(context.Background()) }()
		}
	}}
	_, err := s.DeployWith(context.Background(), release(t, nil), env.DeployOptions{Strategy: config(rollout.Canary, time.Hour), Gate: gate}, nil)
	if !errors.Is(err, stack.ErrClosing) {
		t.Fatalf("deploy during a shutdown: %v, want ErrClosing", err)
	}
	<-s.Done()
}
