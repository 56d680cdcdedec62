package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// started is a server running in-process through run().
type started struct {
	addr  string
	done  chan struct{} // closed when run has returned and its log is read
	err   error
	stop  context.CancelFunc // SIGTERM, as main wires it
	mu    sync.Mutex
	lines []string
}

func (s *started) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// start runs the server with PORT=0 and waits for its "listening" log line.
func start(t *testing.T, env map[string]string) *started {
	t.Helper()
	s, err := startServer(t, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startServer is start without t.Fatal, for goroutines: it returns once the
// server listens, or its error when it exited first. It waits on those
// events only; the server gives up on an unreachable database by itself.
func startServer(t *testing.T, env map[string]string) (*started, error) {
	base := map[string]string{"PORT": "0", "HOST": "127.0.0.1", "DRAIN_DELAY": "0s", "DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "empctl.db")}
	for k, v := range env {
		base[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &started{done: make(chan struct{}), stop: cancel}
	read := make(chan struct{}) // every log line is in s.lines
	go func() {
		s.err = run(ctx, nil, func(k string) string { return base[k] }, pw)
		_ = pw.Close()
		<-read
		close(s.done)
	}()
	addr := make(chan string, 1)
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			s.mu.Unlock()
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	select {
	case s.addr = <-addr:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before listening: %v\n%s", s.err, s.logs())
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestGracefulShutdown: a request in flight when SIGTERM arrives completes;
// readiness fails during the drain delay; after Shutdown new connections are
// refused, and run returns nil (exit 0).
func TestGracefulShutdown(t *testing.T) {
	// The drain delay is the window in which /readyz and /healthz must
	// answer after SIGTERM: generous, so a loaded machine still fits in it.
	const drain = 5 * time.Second
	s := start(t, map[string]string{"DRAIN_DELAY": drain.String(), "SHUTDOWN_TIMEOUT": "30s"})
	base := "http://" + s.addr
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz before shutdown: %d", code)
	}

	// One keep-alive connection: a first request proves the server accepted
	// it, then a sign-up whose body arrives slowly is the request in flight.
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("warm-up request: %v %v", res, err)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	body := `{"email":"slow@example.com","password":"correct horse battery","firstName":"Slow","lastName":"Poke","birthDate":"1990-01-01"}`
	half := len(body) / 2
	fmt.Fprintf(conn, "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:half])

	s.stop() // SIGTERM

	// Readiness fails at once, while the server still serves.
	deadline := time.Now().Add(drain)
	for {
		code, out := get(t, base+"/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(out, "not_ready") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d after SIGTERM", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz during drain: %d", code)
	}

	// Wait until the listener is closed: a new connection is refused. One
	// that reached the backlog just before the listener closed is reset by
	// the kernel instead: the listener is closing, ask again.
	for {
		c, err := net.Dial("tcp", s.addr)
		if err != nil && errors.Is(err, syscall.ECONNRESET) && time.Now().Before(deadline.Add(time.Minute)) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("new connection after shutdown: %v, want connection refused", err)
			}
			break
		}
		_ = c.Close()
		if time.Now().After(deadline.Add(time.Minute)) {
			t.Fatal("listener still open long after the drain delay")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The in-flight request finishes now and succeeds.
	fmt.Fprint(conn, body[half:])
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("in-flight request lost: %v\n%s", err, s.logs())
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || !strings.Contains(string(out), `"email":"slow@example.com"`) {
		t.Fatalf("in-flight request: %d %s", res.StatusCode, out)
	}
	if !res.Close {
		t.Error("response during shutdown should carry Connection: close")
	}

	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("run returned %v, want nil (exit 0)", s.err)
		}
	case <-time.After(time.Minute):
		t.Fatal("run did not return after shutdown")
	}
	for _, want := range []string{"shutdown: draining", "shutdown: complete"} {
		if !strings.Contains(s.logs(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestVersionOverridesAndDemoUser(t *testing.T) {
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
	env := map[string]string{"DATABASE_URL": dbURL, "APP_VERSION": "v2-same-build", "INSTANCE_ID": "replica-7",
		"DEMO_EMAIL": "demo@example.com", "DEMO_PASSWORD": "demo passphrase", "DRAIN_DELAY": "0s", "PUBLIC_DEBUG_INFO": "true"}
	// Three replicas on one SQLite file start at once, each seeding the demo user.
	var wg sync.WaitGroup
	servers := make([]*started, 3)
	for i := range servers {
		wg.Go(func() { servers[i] = start(t, env) })
	}
	wg.Wait()
	res, err := http.Get("http://" + servers[0].addr + "/api/version")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	_ = json.NewDecoder(res.Body).Decode(&v)
	res.Body.Close()
	if v["version"] != "v2-same-build" || v["instanceId"] != "replica-7" || res.Header.Get("X-App-Version") != "v2-same-build" || res.Header.Get("X-App-Instance") != "replica-7" {
		t.Fatalf("version %v, headers %v", v, res.Header)
	}
	created := 0
	for _, s := range servers {
		created += strings.Count(s.logs(), `"msg":"demo user","email":"demo@example.com","created":true`)
		if strings.Contains(s.logs(), "demo passphrase") {
			t.Fatal("the demo password is in the log")
		}
	}
	if created != 1 {
		t.Fatalf("demo user created %d times", created)
	}
	login := `{"email":"demo@example.com","password":"demo passphrase"}`
	for _, s := range servers {
		res, err := http.Post("http://"+s.addr+"/api/login", "application/json", strings.NewReader(login))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("demo login on %s: %d", s.addr, res.StatusCode)
		}
	}
}

func TestNoDemoUserByDefault(t *testing.T) {
	s := start(t, nil)
	res, err := http.Post("http://"+s.addr+"/api/login", "application/json", strings.NewReader(`{"email":"demo@example.com","password":"demo passphrase"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login without a seeded user: %d", res.StatusCode)
	}
}

func TestStartupErrors(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
		code int
	}{
		{nil, map[string]string{"DRAIN_DELAY": "soon"}, `DRAIN_DELAY="soon"`, 1},
		{nil, map[string]string{"DATABASE_URL": "mysql://u:p@127.0.0.1:1/db", "HOST": "127.0.0.1", "PORT": "0"}, "mysql://u@127.0.0.1:1/db", 1},
		{nil, map[string]string{"DEMO_EMAIL": "not-an-email", "DEMO_PASSWORD": "long enough", "DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "x.db")}, "DEMO_EMAIL must be a valid email", 1},
		{[]string{"seed-demo"}, map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "y.db")}, "seed-demo needs DEMO_EMAIL", 2},
		{[]string{"frobnicate"}, nil, "unknown arguments", 2},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // bounds the MySQL connect retries
		err := run(ctx, tc.args, env(tc.env), io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != tc.code {
			t.Errorf("%v %v: err %v (exit %d), want %q (exit %d)", tc.args, tc.env, err, exitCode(err), tc.want, tc.code)
		}
		if err != nil && strings.Contains(err.Error(), ":p@") {
			t.Errorf("error shows the database password: %v", err)
		}
	}
}

func TestSeedDemoCommand(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "seed.db"), "DEMO_EMAIL": "Demo@Example.com", "DEMO_PASSWORD": "demo passphrase"}
	var out strings.Builder
	for _, want := range []string{`"created":true`, `"created":false`} {
		out.Reset()
		if err := run(context.Background(), []string{"seed-demo"}, func(k string) string { return env[k] }, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("seed-demo output lacks %s:\n%s", want, out.String())
		}
	}
	var help strings.Builder
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &help); err != nil || !strings.Contains(help.String(), "DATABASE_URL") {
		t.Fatalf("--help: %v %s", err, help.String())
	}
}

// --help names every variable server/README.md's configuration table
// documents, so an operator reading only the help misses none.
func TestHelpListsEveryDocumentedVariable(t *testing.T) {
	readme, err := os.ReadFile("../../server/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "\n## Configuration\n")
	table, _, _ = strings.Cut(table, "\n## ")
	var help strings.Builder
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &help); err != nil {
		t.Fatal(err)
	}
	var names int
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(line[1:], "|") // the Variable column
		for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(first, -1) {
			names++
			if !regexp.MustCompile(`\b` + m[1] + `\b`).MatchString(help.String()) {
				t.Errorf("--help does not name %s, which server/README.md documents", m[1])
			}
		}
	}
	if names < 20 {
		t.Fatalf("found %d variables in server/README.md's configuration table: has its layout changed?", names)
	}
}
