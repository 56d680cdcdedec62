package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/server/store"
)

// clock is a settable time source so tests can expire sessions and throttles.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type harness struct {
	t        testing.TB
	api      *api
	srv      http.Handler
	draining *atomic.Bool
	http     *httptest.Server
	store    store.Store
	clock    *clock
	logs     *syncBuffer
}

// newHarness runs the API on a real loopback listener over a fresh SQLite file.
func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, sqliteTarget(t))
}

// newHarnessOn runs the API on target; opts adjust its Deps.
func newHarnessOn(t testing.TB, target store.Target, opts ...func(*Deps)) *harness {
	t.Helper()
	st, _, err := store.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := &harness{t: t, store: st, clock: &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}, draining: new(atomic.Bool)}
	d := Deps{
		Store:      st,
		Logger:     slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Build:      buildinfo.Info{Version: "v9.9.9-test", Commit: "abc123", BuildTime: "2026-11-27T06:00:00Z", GoVersion: "go1.test", Platform: "linux/amd64"},
		Instance:   Instance{ID: "test-instance", AvailabilityZone: "eu-west-1a"},
		SessionTTL: 24 * time.Hour,
		BcryptCost: bcrypt.MinCost,
		Now:        h.clock.Now,
		Draining:   h.draining.Load,
	}
	for _, o := range opts {
		o(&d)
	}
	h.api = newAPI(d)
	// Every response a test sees is checked against server/openapi.json.
	h.srv = driftCheck(t, h.api.handler())
	h.http = httptest.NewServer(h.srv)
	t.Cleanup(h.http.Close)
	return h
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errorCode returns error.code, failing if the body is not the error shape.
func (r response) errorCode(t testing.TB) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %s", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

func (r response) field(t testing.TB, name string) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	s, _ := f[name].(string)
	return s
}

// do sends body (a string is sent verbatim, anything else as JSON) with a
// JSON content type, and the bearer token if not empty.
func (h *harness) do(method, path, token string, body any) response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				h.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, h.http.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	res, err := h.http.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (h *harness) expect(r response, status int, code string) {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.errorCode(h.t); got != code {
			h.t.Fatalf("error code %q, want %q; body %s", got, code, r.body)
		}
	}
}

func signUpBody(email string) map[string]string {
	return map[string]string{"email": email, "password": "correct horse battery", "firstName": "Ada", "lastName": "Lovelace", "birthDate": "1990-12-10"}
}

// user signs up and logs in, returning the user id and a token.
func (h *harness) user(email, birthDate string) (id int64, token string) {
	h.t.Helper()
	b := signUpBody(email)
	b["birthDate"] = birthDate
	r := h.do("POST", "/api/users", "", b)
	h.expect(r, http.StatusCreated, "")
	id = int64(r.json(h.t)["id"].(float64))
	return id, h.login(email, "correct horse battery")
}

func (h *harness) login(email, password string) string {
	h.t.Helper()
	r := h.do("POST", "/api/login", "", map[string]string{"email": email, "password": password})
	h.expect(r, http.StatusOK, "")
	return r.json(h.t)["token"].(string)
}

// with returns the harness reporting to a subtest's t.
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}
