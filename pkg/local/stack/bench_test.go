package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/empctl/empctl/pkg/local/localtest"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/balancer"
	"github.com/empctl/empctl/pkg/rollout"
)

// closedLoop sends GET url from workers concurrent clients for d. Its
// goroutines carry the profiler label role=loadgen, so that a CPU profile of
// the benchmark can be split between the load generator and the balancer
// (go tool pprof -tagignore role=loadgen shows the balancer alone).
func closedLoop(url string, hdr http.Header, workers uint64, d time.Duration) (m vegeta.Metrics) {
	pprof.Do(context.Background(), pprof.Labels("role", "loadgen"), func(context.Context) {
		atk := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.KeepAlive(true))
		tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url, Header: hdr})
		for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, d, "bench") {
			m.Add(res)
		}
		m.Close()
	})
	return m
}

// cpuTime is the CPU time (user and system) used so far by this process
// (the load generator and, in the same process, the balancer) and by the replica.
func cpuTime(b *testing.B, replicaPID int) (self, replica time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", replicaPID))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command's closing parenthesis; utime and stime are the
	// 14th and 15th fields of the line, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return self, time.Duration(utime+stime) * 10 * time.Millisecond
}

// phase accumulates one way of calling the replica over several rounds.
type phase struct {
	requests, failed uint64
	wall             time.Duration
	self, replica    time.Duration // CPU time
	p99              []time.Duration
}

func (p *phase) run(b *testing.B, url string, hdr http.Header, pid int, workers uint64, d time.Duration) {
	s0, r0 := cpuTime(b, pid)
	t0 := time.Now()
	m := closedLoop(url, hdr, workers, d)
	p.wall += time.Since(t0)
	s1, r1 := cpuTime(b, pid)
	p.self += s1 - s0
	p.replica += r1 - r0
	p.requests += m.Requests
	p.failed += m.Requests - uint64(m.Success*float64(m.Requests)+0.5)
	p.p99 = append(p.p99, m.Latencies.P99)
}

func (p *phase) rps() float64 { return float64(p.requests) / p.wall.Seconds() }

// perReq is CPU time per request in microseconds.
func (p *phase) perReq(cpu time.Duration) float64 {
	return float64(cpu.Microseconds()) / float64(p.requests)
}

func (p *phase) medianP99() time.Duration {
	s := slices.Clone(p.p99)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkBalancer compares the load balancer in front of one replica with
// the same replica called directly (target: at least 0.7 of its throughput),
// for the cheapest endpoint (GET /api/version: the proxy's cost shows most)
// and an authenticated GET /api/me (a session and a user read from SQLite).
//
// Both ways use the same client settings (vegeta, 16 keep-alive workers), are
// warmed up, and run in interleaved rounds so that other load on the machine
// affects both alike. It also reports the CPU time per request of the load
// generator, the balancer and the replica: on a machine where all three share
// the cores, throughput is bounded by their sum, which is what the ratio shows.
func BenchmarkBalancer(b *testing.B) {
	opts := localtest.Options(b)
	opts.Replicas = 1
	stack := localtest.Start(b, opts)
	target := stack.Status().Targets[0]
	replica := "http://" + target.Addr
	token := signIn(b, stack.Endpoint())
	const workers, rounds, d = 16, 3, time.Second
	endpoints := []struct {
		name, path string
		hdr        http.Header
	}{
		{"version", "/api/version", nil},
		{"me", "/api/me", http.Header{"Authorization": {"Bearer " + token}}},
	}
	for _, ep := range endpoints { // warm up both ways
		closedLoop(replica+ep.path, ep.hdr, workers, d/2)
		closedLoop(stack.Endpoint()+ep.path, ep.hdr, workers, d/2)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, ep := range endpoints {
			var direct, lb phase
			for i := range rounds {
				first, second := func() { direct.run(b, replica+ep.path, ep.hdr, target.PID, workers, d) },
					func() { lb.run(b, stack.Endpoint()+ep.path, ep.hdr, target.PID, workers, d) }
				if i%2 == 1 {
					first, second = second, first
				}
				first()
				second()
			}
			if direct.failed+lb.failed > 0 {
				b.Fatalf("%s: %d direct and %d balanced requests failed", ep.path, direct.failed, lb.failed)
			}
			// The balancer runs in this process: its share is what this
			// process spends per request beyond the load generator alone (an
			// upper bound: the generator itself spends a little more per
			// request at the lower rate, as the replica does).
			client, rep := direct.perReq(direct.self), direct.perReq(direct.replica)
			bal := lb.perReq(lb.self) - client
			ratio := lb.rps() / direct.rps()
			b.ReportMetric(direct.rps(), ep.name+"-direct-req/s")
			b.ReportMetric(lb.rps(), ep.name+"-lb-req/s")
			b.ReportMetric(ratio, ep.name+"-lb/direct")
			b.ReportMetric(float64(direct.medianP99().Microseconds())/1000, ep.name+"-direct-p99-ms")
			b.ReportMetric(float64(lb.medianP99().Microseconds())/1000, ep.name+"-lb-p99-ms")
			b.ReportMetric(bal, ep.name+"-lb-cpu-µs/req")
			b.Logf("GET %s, %d concurrent clients, %d interleaved rounds of %s: direct %.0f req/s p99 %s; through the balancer %.0f req/s p99 %s; ratio %.2f (target ≥ 0.70)",
				ep.path, workers, rounds, d, direct.rps(), direct.medianP99().Round(10*time.Microsecond), lb.rps(), lb.medianP99().Round(10*time.Microsecond), ratio)
			b.Logf("  CPU per request: load generator %.1f µs, balancer %.1f µs, replica %.1f µs (replica %.1f µs behind the balancer); CPU used: direct %.0f%%, balanced %.0f%% of %d cores; ratio if CPU-bound (gen+replica)/(gen+balancer+replica): %.2f",
				client, bal, rep, lb.perReq(lb.replica),
				100*float64(direct.self+direct.replica)/float64(direct.wall)/float64(runtime.NumCPU()), 100*float64(lb.self+lb.replica)/float64(lb.wall)/float64(runtime.NumCPU()), runtime.NumCPU(),
				(client+rep)/(client+bal+lb.perReq(lb.replica)))
		}
	}
}

func signIn(b *testing.B, endpoint string) string {
	body := `{"email":"bench@example.com","password":"bench-password-1","firstName":"Bench","lastName":"Mark","birthDate":"1990-01-01"}`
	resp, err := http.Post(endpoint+"/api/users", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatalf("sign-up: %v %v", err, resp)
	}
	_ = resp.Body.Close()
	resp, err = http.Post(endpoint+"/api/login", "application/json", strings.NewReader(`{"email":"bench@example.com","password":"bench-password-1"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("login: %v %v", err, resp)
	}
	defer func() { _ = resp.Body.Close() }()
	var login struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil {
		b.Fatal(err)
	}
	return login.Token
}

// BenchmarkRollout measures a rolling deploy of 3 replicas with the default
// timings of `empctl up`: 1 s health checks, 2 to turn healthy, a 2 s drain
// delay in the server.
func BenchmarkRollout(b *testing.B) {
	opts := localtest.Options(b)
	opts.Health = balancer.DefaultHealthCheck()
	opts.Env["DRAIN_DELAY"] = "2s"
	opts.DeregistrationDelay = 5 * time.Second
	stack := localtest.Start(b, opts)
	b.ResetTimer()
	for b.Loop() {
		rel := localtest.ServerRelease(b)
		rel.Force = true
		ro, err := stack.Deploy(context.Background(), rel, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ro.Duration().Seconds(), "rollout-s")
		b.Logf("rolling deploy of 3 replicas (%s → %s): %s", ro.PreviousVersion, ro.Version, ro.Duration().Round(10*time.Millisecond))
	}
}

// instantGate is a gate written for benchmarks: it promotes at once, so
// that a progressive rollout's time is the stack's alone (the gate's test
// load and the bakes excluded).
type instantGate struct{}

func (instantGate) Test(context.Context, rollout.TestRoute, func(string)) (rollout.Verdict, error) {
	return rollout.Verdict{Promote: true, Stage: rollout.StageTestTraffic}, nil
}

func (instantGate) Watch(_ context.Context, _ string, _ rollout.Traffic, step int, _ time.Duration, _ func(string)) (rollout.Verdict, error) {
	return rollout.Verdict{Promote: true, Stage: rollout.StageProductionShift, Step: step}, nil
}

// BenchmarkRolloutStrategies measures each strategy's rollout of 3
// replicas next to a rolling one, with `empctl up`'s timings as
// BenchmarkRollout and a gate that promotes at once: what a strategy adds
// is the stack's own work (a second target group, the weight shifts, the
// promotion), not its gate's load or bakes, which are the user's choice.
func BenchmarkRolloutStrategies(b *testing.B) {
	opts := localtest.Options(b)
	opts.Health = balancer.DefaultHealthCheck()
	opts.Env["DRAIN_DELAY"] = "2s"
	opts.DeregistrationDelay = 5 * time.Second
	s := localtest.Start(b, opts)
	for _, strategy := range rollout.Strategies {
		b.Run(string(strategy), func(b *testing.B) {
			var do env.DeployOptions
			if strategy.Progressive() {
				do.Strategy = rollout.Defaults(true)
				do.Strategy.Strategy = strategy
				do.Gate = instantGate{}
			}
			for b.Loop() {
				rel := localtest.ServerRelease(b)
				rel.Force = true
				ro, err := s.DeployWith(context.Background(), rel, do, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(ro.Duration().Seconds(), "rollout-s")
				b.Logf("%s deploy of 3 replicas: %s", strategy, ro.Duration().Round(10*time.Millisecond))
			}
		})
	}
}
