package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/empctl/empctl/pkg/rollout"
)

// testHeader is the header the proxy's test rule matches.
const testHeader = "X-Empctl-Test-Route"

// proxy is a small real load balancer for the tests: requests with the test
// header go to the new version only; production requests are split by
// weight (spread evenly: the new version gets floor(n × weight / 100) of the
// first n requests, never more than its share) and counted per side, as the local
// balancer's target groups and the ALB's metrics count them.
type proxy struct {
	URL      string
	old, new *httputil.ReverseProxy
	weight   atomic.Int64
	n        atomic.Int64

	mu           sync.Mutex
	oldC, newC   rollout.Counts
	testRequests int64
}

func newProxy(t *testing.T, oldURL, newURL string) *proxy {
	p := &proxy{}
	rp := func(raw string) *httputil.ReverseProxy {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return httputil.NewSingleHostReverseProxy(u)
	}
	p.old, p.new = rp(oldURL), rp(newURL)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(testHeader) == "secret" {
		p.mu.Lock()
		p.testRequests++
		p.mu.Unlock()
		p.new.ServeHTTP(w, r)
		return
	}
	n, weight := p.n.Add(1), p.weight.Load()
	toNew := n*weight/100 > (n-1)*weight/100
	rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	if toNew {
		p.new.ServeHTTP(rec, r)
	} else {
		p.old.ServeHTTP(rec, r)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := &p.oldC
	if toNew {
		c = &p.newC
	}
	c.Requests++
	if rec.code >= 500 {
		c.Errors++
	}
}

// Counts is the proxy as a rollout.Traffic.
func (p *proxy) Counts(context.Context) (old, new rollout.Counts, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.oldC, p.newC, nil
}

func (p *proxy) route() rollout.TestRoute {
	return rollout.TestRoute{BaseURL: p.URL, Header: http.Header{testHeader: {"secret"}}}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// signUps records the users a version stored, with the password each was
// made with: the test's own view of the gate's users, whatever it reports.
type signUps struct {
	mu    sync.Mutex
	users map[string]string
	first chan struct{} // closed at the first write of the load
	once  sync.Once
}

func recordSignUps(next http.Handler) (http.Handler, *signUps) {
	s := &signUps{users: map[string]string{}, first: make(chan struct{})}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			s.once.Do(func() { close(s.first) })
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/users" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var u struct{ Email, Password string }
		_ = json.Unmarshal(body, &u)
		rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		if rec.code == http.StatusCreated {
			s.mu.Lock()
			s.users[u.Email] = u.Password
			s.mu.Unlock()
		}
	}), s
}

func (s *signUps) all() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.users {
		out[k] = v
	}
	return out
}
