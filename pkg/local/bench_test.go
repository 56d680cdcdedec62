package local_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// closedLoop sends GET url from workers concurrent clients for d and returns
// the throughput and the p99 latency.
func closedLoop(url string, hdr http.Header, workers uint64, d time.Duration) (rps float64, p99 time.Duration, errs int) {
	atk := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.KeepAlive(true))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url, Header: hdr})
	var m vegeta.Metrics
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, d, "bench") {
		m.Add(res)
	}
	m.Close()
	return m.Throughput, m.Latencies.P99, int(m.Requests) - int(m.Success*float64(m.Requests)+0.5)
}

// BenchmarkBalancer compares the load balancer in front of one replica with
// the same replica called directly (target: at least 0.7 of its throughput),
// for the cheapest endpoint (GET /api/version: the proxy's cost shows most)
// and an authenticated GET /api/me (a session and a user read from SQLite).
func BenchmarkBalancer(b *testing.B) {
	opts := localtest.Options(b)
	opts.Replicas = 1
	stack := localtest.Start(b, opts)
	replica := "http://" + stack.Status().Targets[0].Addr
	token := signIn(b, stack.Endpoint())
	const workers, d = 16, 3 * time.Second
	closedLoop(replica+"/api/version", nil, workers, time.Second) // warm up
	b.ResetTimer()
	for b.Loop() {
		for _, ep := range []struct {
			name, path string
			hdr        http.Header
		}{
			{"version", "/api/version", nil},
			{"me", "/api/me", http.Header{"Authorization": {"Bearer " + token}}},
		} {
			dRPS, dP99, dErr := closedLoop(replica+ep.path, ep.hdr, workers, d)
			lRPS, lP99, lErr := closedLoop(stack.Endpoint()+ep.path, ep.hdr, workers, d)
			if dErr+lErr > 0 {
				b.Fatalf("%s: %d direct and %d balanced requests failed", ep.path, dErr, lErr)
			}
			b.ReportMetric(dRPS, ep.name+"-direct-req/s")
			b.ReportMetric(lRPS, ep.name+"-lb-req/s")
			b.ReportMetric(lRPS/dRPS, ep.name+"-lb/direct")
			b.ReportMetric(float64(dP99.Microseconds())/1000, ep.name+"-direct-p99-ms")
			b.ReportMetric(float64(lP99.Microseconds())/1000, ep.name+"-lb-p99-ms")
			b.Logf("GET %s, %d concurrent clients, %s each: direct %.0f req/s p99 %s; through the balancer %.0f req/s p99 %s; ratio %.2f (target ≥ 0.70)",
				ep.path, workers, d, dRPS, dP99.Round(10*time.Microsecond), lRPS, lP99.Round(10*time.Microsecond), lRPS/dRPS)
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
	opts.Health = local.DefaultHealthCheck()
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
