package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/server/store"
)

// BenchmarkLoopback loads the server over loopback with vegeta, as fast as
// a fixed pool of keep-alive connections allows, and reports req/s, p50 and
// p99 for a bare net/http handler (this machine's limit), GET /healthz and
// authenticated GET /api/me on SQLite. Run it with `make bench`;
// BENCH_DURATION (default 5s) sets each attack's length.
func BenchmarkLoopback(b *testing.B) {
	dur := 5 * time.Second
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_DURATION=%q: %v", v, err)
		}
		dur = d
	}

	st, _, err := store.Open(context.Background(), store.Target{Driver: "sqlite", DSN: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	handler := NewServer(Deps{
		Store:    st,
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)), // the access log is still formatted
		Build:    buildinfo.Get(),
		Instance: Instance{ID: "bench"},
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()
	token := benchLogin(b, srv.URL)

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":1,"email":"bench@example.com","firstName":"Bench","lastName":"Mark","birthDate":"1990-01-01","age":35,"createdAt":"2026-11-27T07:00:00Z"}`+"\n")
	}))
	defer bare.Close()

	auth := http.Header{"Authorization": {"Bearer " + token}}
	cases := []struct {
		name   string
		target vegeta.Target
	}{
		{"bare_handler", vegeta.Target{Method: "GET", URL: bare.URL + "/"}},
		{"healthz", vegeta.Target{Method: "GET", URL: srv.URL + "/healthz"}},
		{"api_me_sqlite", vegeta.Target{Method: "GET", URL: srv.URL + "/api/me", Header: auth}},
	}
	// Rounds interleave the targets so that load from other processes on the
	// machine hits all of them alike.
	const rounds = 3
	results := make([]load, len(cases))
	for range b.N {
		for range rounds {
			for i, c := range cases {
				results[i].add(b, c.target, dur/rounds)
			}
		}
	}
	base := results[0].throughput()
	var out strings.Builder
	fmt.Fprintf(&out, "\n%-16s %12s %10s %10s %10s\n", "target", "req/s", "p50", "p99", "vs bare")
	for i, c := range cases {
		r := &results[i]
		r.m.Close()
		p50, p99 := r.m.Latencies.P50, r.m.Latencies.P99
		fmt.Fprintf(&out, "%-16s %12.0f %10s %10s %9.2fx\n", c.name, r.throughput(), p50.Round(time.Microsecond), p99.Round(time.Microsecond), r.throughput()/base)
		b.ReportMetric(r.throughput(), c.name+"_req/s")
		b.ReportMetric(float64(p50.Microseconds())/1000, c.name+"_p50_ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, c.name+"_p99_ms")
	}
	ratio := results[2].throughput() / base
	verdict := "meets"
	if ratio < 0.5 {
		verdict = "MISSES"
	}
	fmt.Fprintf(&out, "GET /api/me runs at %.2fx the bare handler: %s the 0.5x target (%d rounds of %s per target, %d connections, loopback, CPU shared with vegeta)\n",
		ratio, verdict, rounds, (dur / rounds).Round(time.Millisecond), benchConnections)
	fmt.Print(out.String())
}

// load accumulates the results of several attacks on one target.
type load struct {
	m       vegeta.Metrics
	ok      int
	elapsed time.Duration
}

func (l *load) throughput() float64 { return float64(l.ok) / l.elapsed.Seconds() }

const benchConnections = 32

func (l *load) add(b *testing.B, t vegeta.Target, dur time.Duration) {
	b.Helper()
	a := vegeta.NewAttacker(vegeta.Workers(benchConnections), vegeta.MaxWorkers(benchConnections),
		vegeta.Connections(benchConnections), vegeta.KeepAlive(true), vegeta.Timeout(10*time.Second))
	start := time.Now()
	for res := range a.Attack(vegeta.NewStaticTargeter(t), vegeta.Rate{Freq: 0}, dur, t.URL) {
		if res.Code != http.StatusOK {
			b.Fatalf("%s: status %d, error %q", t.URL, res.Code, res.Error)
		}
		l.m.Add(res)
		l.ok++
	}
	l.elapsed += time.Since(start)
}

// benchLogin signs a user up and returns a session token.
func benchLogin(b *testing.B, base string) string {
	b.Helper()
	post := func(path string, body any, into any) {
		raw, _ := json.Marshal(body)
		res, err := http.Post(base+path, "application/json", bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode >= 300 {
			b.Fatalf("POST %s: %s", path, res.Status)
		}
		if into != nil {
			if err := json.NewDecoder(res.Body).Decode(into); err != nil {
				b.Fatal(err)
			}
		}
	}
	u := signUpBody("bench@example.com")
	post("/api/users", u, nil)
	var login struct{ Token string }
	post("/api/login", map[string]string{"email": u["email"], "password": u["password"]}, &login)
	return login.Token
}
