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
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/server/store"
)

// BenchmarkLoginUnderSignUpBurst measures what the penetration test saw: the
// latency of an existing user's login, alone and while 200 sign-ups arrive 32
// at a time, with production's bcrypt cost on SQLite. The burst comes from
// one client, then from 200 clients (so the per-client sign-up limit cannot
// hide the bound on concurrent hashing). Run with `make bench`.
func BenchmarkLoginUnderSignUpBurst(b *testing.B) {
	_, srv := benchServer(b, 0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(path, from string, body any) int { return benchPost(b, client, srv.URL+path, from, body) }
	owner := signUpBody("owner@example.com")
	if code := post("/api/users", "198.51.100.1", owner); code != http.StatusCreated {
		b.Fatalf("sign-up: %d", code)
	}
	login := func() time.Duration {
		start := time.Now()
		if code := post("/api/login", "198.51.100.1", map[string]string{"email": owner["email"], "password": owner["password"]}); code != http.StatusOK {
			b.Fatalf("owner login: %d", code)
		}
		return time.Since(start)
	}

	var quiet []time.Duration
	for range 10 {
		quiet = append(quiet, login())
	}
	run := 0
	burst := func(clientOf func(i int) string) (lat []time.Duration, codes map[int]int, took time.Duration) {
		run++
		codes = map[int]int{}
		var mu sync.Mutex
		var next atomic.Int32
		done := make(chan struct{})
		var wg sync.WaitGroup
		start := time.Now()
		for range 32 {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < 200; i = int(next.Add(1)) - 1 {
					code := post("/api/users", clientOf(i), signUpBody(fmt.Sprintf("burst%d-%d@example.com", run, i)))
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}
			})
		}
		go func() { wg.Wait(); close(done) }()
		for {
			select {
			case <-done:
				return lat, codes, time.Since(start)
			default:
				lat = append(lat, login())
			}
		}
	}
	for range b.N {
		oneLat, oneCodes, oneTook := burst(func(int) string { return "203.0.113.1" })
		manyLat, manyCodes, manyTook := burst(func(i int) string { return fmt.Sprintf("10.%d.%d.1", 1+i/250, i%250) })
		fmt.Printf("\nlogin alone:                 p50 %v max %v (%d logins)\n", pct(quiet, 50), pct(quiet, 100), len(quiet))
		fmt.Printf("during 200 sign-ups, 1 client:    p50 %v max %v (%d logins); sign-ups %v in %v\n", pct(oneLat, 50), pct(oneLat, 100), len(oneLat), oneCodes, oneTook.Round(time.Millisecond))
		fmt.Printf("during 200 sign-ups, 200 clients: p50 %v max %v (%d logins); sign-ups %v in %v\n", pct(manyLat, 50), pct(manyLat, 100), len(manyLat), manyCodes, manyTook.Round(time.Millisecond))
		b.ReportMetric(ms(pct(quiet, 50)), "login_alone_p50_ms")
		b.ReportMetric(ms(pct(oneLat, 50)), "login_burst1_p50_ms")
		b.ReportMetric(ms(pct(manyLat, 50)), "login_burst200_p50_ms")
		b.ReportMetric(ms(pct(manyLat, 100)), "login_burst200_max_ms")
	}
}

// benchPost sends body as JSON from client address from (the peer is
// loopback, a trusted proxy) and returns the status.
func benchPost(b *testing.B, client *http.Client, url, from string, body any) int {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", from)
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Millisecond)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchServer is the API on a fresh SQLite file for a benchmark, hashing at
// cost (0: production's); both close when the benchmark ends.
func benchServer(b *testing.B, cost int) (store.Store, *httptest.Server) {
	b.Helper()
	st, _, err := store.Open(context.Background(), store.Target{Driver: "sqlite", DSN: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	srv := httptest.NewServer(NewServer(Deps{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Build: buildinfo.Get(), Instance: Instance{ID: "bench"}, BcryptCost: cost}))
	b.Cleanup(srv.Close)
	return st, srv
}
