package server

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// Schemathesis tests the API from server/openapi.json alone, as a client that
// knows nothing of the code would: every operation with schema-valid and
// invalid data (examples, coverage and fuzzing phases), then sequences along
// the document's links (sign-up -> login -> GET /api/me -> PATCH /api/me ->
// password change -> logout; the stateful phase), with all of its checks.
// Each run has a fixed seed: a failure is replayed with
//
//	EMPCTL_SCHEMATHESIS_SEED=<seed> go test -count=1 -run '^TestSchemathesis' -v ./server/
const (
	defaultSchemathesisSeed = 21
	// schemathesisBound is far beyond a run's few minutes on a busy 2-core
	// machine: it stops a hung run, it does not time one.
	schemathesisBound = 15 * time.Minute
	fuzzEmail         = "fuzz@example.com"
	fuzzPassword      = "schemathesis fuzz user"
)

// schemathesisConfig is the run's schemathesis.toml. Auth: Schemathesis logs
// in as the fuzz user for operations no link hands a token to, and again
// whenever one answers 401. Logout is tested along the links only (with the
// token of the sign-up's login): sent with the fuzz user's token it revokes
// it, and the logins to replace it soon exceed the 60 an account may make in
// 15 minutes, after which every request fails to authenticate. Links are
// the document's, plus those inferred from Location headers: its dependency
// analysis put the integer user id into X-Request-Id, which its HTTP client
// then refused to send (a Schemathesis bug). The positive-data check expects
// 422 too: some rules are beyond JSON Schema (a common password, the minimum
// age, control characters in a name) and schema-valid data that breaks them is
// 422 validation_failed, as the document says. The stateful phase sends
// valid data only (the other phases send plenty of invalid data), so that
// more sequences get past sign-up and along the links. The operator header
// goes with one value that is not the key (the server treats such a request
// as any other): generating values for it took the stateful phase from 7 of
// the 8 links to 5. No cache: each run depends on its seed alone.
const schemathesisConfig = `
cache.enabled = false
headers = { X-Empctl-Operator = "not the operator key" }

[auth.dynamic.openapi.bearerAuth]
path = "/api/login"
payload = { email = "` + fuzzEmail + `", password = "` + fuzzPassword + `" }
extract_selector = "/token"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[phases.stateful]
generation.mode = "positive"
inference.algorithms = ["location-headers"]

[[operations]]
include-name = "POST /api/logout"
phases.examples.enabled = false
phases.coverage.enabled = false
phases.fuzzing.enabled = false
`

// TestSchemathesis runs Schemathesis against the API configured to test the
// API, not the throttles: every request comes from a client address of its
// own (as from many users), so the per-client limits (sign-ups, password
// guesses, hashing slots) never add up; bcrypt runs at its minimum cost. The
// fuzz user's own limits count over 1 second instead of 15 minutes (120 of
// its sign-ins and 120 of its wrong current passwords) and instead of an
// hour (other profiles read): a throttle row holds a few hundred events
// (store.MaxThrottleState), and the run makes thousands. In a second, one
// Schemathesis worker makes about ten; over 10 s, a faster machine had made
// more than the 60 sign-ins a window allows.
func TestSchemathesis(t *testing.T) {
	bin := testenv.Schemathesis(t)
	url, seen := startFuzzTarget(t, func(d *Deps) { d.BcryptCost = bcrypt.MinCost }, func(a *api) {
		lenient := defaultGuardPolicy
		lenient.window, lenient.accountSuccesses, lenient.accountFree = time.Second, 120, 120
		a.guard = newAttemptGuard(a.deps.Store, lenient, a.deps.Now)
		a.profiles = newRateLimit(a.deps.Store, "profile", maxRateLimit, time.Second, a.deps.Now)
	}, true)
	runSchemathesis(t, bin, url, 1000)
	t.Logf("the answers: %s", seen)
	for _, k := range seen.keys() {
		if strings.HasSuffix(k, " 429") || strings.HasSuffix(k, " 503") {
			t.Errorf("%s answered %d times: the throttles were not out of the fuzzer's way", k, seen.count(k))
		}
	}
}

// TestSchemathesisProductionLimits runs it, with fewer examples, against the
// production limits (bcrypt's cost 10, 20 sign-ups an hour per client, the
// guard on password guesses): it must meet their 429s, each checked against
// the document like every answer. It sends one request at a time from one
// address: 503 busy, a full queue of password hashes, takes many clients at
// once; abuse_test.go produces it.
func TestSchemathesisProductionLimits(t *testing.T) {
	bin := testenv.Schemathesis(t)
	url, seen := startFuzzTarget(t, func(*Deps) {}, func(*api) {}, false)
	runSchemathesis(t, bin, url, 25)
	t.Logf("the answers: %s", seen)
	throttled := 0
	for _, k := range seen.keys() {
		if strings.HasSuffix(k, " 429") {
			throttled += seen.count(k)
		}
	}
	if throttled == 0 {
		t.Errorf("nothing was throttled: a fuzzer from one address must meet the production limits")
	}
}

// startFuzzTarget serves the API on a loopback port over a fresh SQLite
// file, every response checked against the document by the drift check too
// (its statuses counted in the set it returns), with the fuzz user signed up.
// With manyClients each request comes from an address of its own.
func startFuzzTarget(t *testing.T, deps func(*Deps), tune func(*api), manyClients bool) (string, *statusSet) {
	t.Helper()
	st, _, err := store.Open(context.Background(), sqliteTarget(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	logs := &syncBuffer{}
	d := Deps{
		Store:  st,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Build:  buildinfo.Info{Version: "v9.9.9-fuzz", Commit: "abc123", Platform: "linux/amd64"},
	}
	deps(&d)
	a := newAPI(d)
	tune(a)
	seen := newStatusSet()
	h := driftCheckInto(t, a.handler(), seen)
	if manyClients {
		h = fromManyClients(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (warnings and errors):\n%s", logs.String())
		}
	})
	body := fmt.Sprintf(`{"email":%q,"password":%q,"firstName":"Fuzz","lastName":"User","birthDate":"1990-01-01"}`, fuzzEmail, fuzzPassword)
	res, err := http.Post(srv.URL+"/api/users", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("signing up the fuzz user: %s", res.Status)
	}
	return srv.URL, seen
}

// runSchemathesis runs st against the document served at url with every
// check, maxExamples cases per operation and phase, and fails the test with
// each failure's operation, check and reproduction (curl) from its JUnit
// report.
func runSchemathesis(t *testing.T, bin, url string, maxExamples int) {
	t.Helper()
	seed := defaultSchemathesisSeed
	if s := os.Getenv("EMPCTL_SCHEMATHESIS_SEED"); s != "" {
		var err error
		if seed, err = strconv.Atoi(s); err != nil {
			t.Fatalf("EMPCTL_SCHEMATHESIS_SEED=%q: want an integer seed", s)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "schemathesis.toml")
	if err := os.WriteFile(cfg, []byte(schemathesisConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "junit.xml")
	args := []string{"--config-file", cfg, "run", url + "/api/openapi.json",
		"--checks", "all", "--seed", strconv.Itoa(seed), "--max-examples", strconv.Itoa(maxExamples),
		"--workers", "1", "--request-timeout", "30", "--generation-database", "none",
		// Hypothesis's too_slow health check times the data generation: on
		// a busy machine it would fail a run that found nothing.
		"--suppress-health-check", "too_slow",
		"--report", "junit", "--report-junit-path", junit, "--no-color"}
	ctx, cancel := context.WithTimeout(context.Background(), schemathesisBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir // Schemathesis and Hypothesis write nothing into the repository
	start := time.Now()
	out, runErr := cmd.CombinedOutput()
	elapsed := time.Since(start).Round(100 * time.Millisecond)
	t.Logf("st %s\nseed %d; to replay: EMPCTL_SCHEMATHESIS_SEED=%d go test -count=1 -run '^%s$' -v ./server/",
		strings.Join(args, " "), seed, seed, t.Name())
	report, err := readJUnit(junit)
	if err != nil {
		t.Fatalf("Schemathesis wrote no report (%v; exit: %v); its output:\n%s", err, runErr, out)
	}
	t.Logf("Schemathesis: %d operations, %s; stateful phase: %s; in %s",
		report.operations(), summaryLine(out, `\d+ generated`), summaryLine(out, `Scenarios:`)+", "+summaryLine(out, `API Links:`), elapsed)
	failed := false
	for _, c := range report.cases() {
		for _, f := range append(c.Failures, c.Errors...) {
			failed = true
			t.Errorf("Schemathesis: %s: %s\n%s", c.Name, f.Message, strings.TrimSpace(f.Text))
		}
	}
	if runErr != nil && !failed {
		t.Errorf("Schemathesis failed (%v) without a failure in its report; its output:\n%s", runErr, out)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("Schemathesis's output:\n%s", out)
	}
}

// fromManyClients gives each request a client address of its own, from the
// benchmarking range 198.18.0.0/15 (not a trusted proxy: the address is the
// client's).
func fromManyClients(next http.Handler) http.Handler {
	var n atomic.Uint32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		r.RemoteAddr = fmt.Sprintf("198.%d.%d.%d:40000", 18+i>>16&1, i>>8&0xff, i&0xff)
		next.ServeHTTP(w, r)
	})
}

type junitReport struct {
	Tests  int `xml:"tests,attr"`
	Suites []struct {
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Name     string         `xml:"name,attr"`
	Failures []junitProblem `xml:"failure"`
	Errors   []junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func (r junitReport) cases() []junitCase {
	var all []junitCase
	for _, s := range r.Suites {
		all = append(all, s.Cases...)
	}
	return all
}

// operations counts the report's operations: it has one test case for
// each, and one for the stateful phase.
func (r junitReport) operations() int {
	n := 0
	for _, c := range r.cases() {
		if !strings.HasPrefix(c.Name, "Stateful") {
			n++
		}
	}
	return n
}

func readJUnit(path string) (junitReport, error) {
	var r junitReport
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	return r, xml.Unmarshal(b, &r)
}

// summaryLine is the line of Schemathesis's summary that starts with
// prefix (a regular expression), such as its count of test cases ("1234
// generated, 1234 passed"), which its JUnit report does not carry.
func summaryLine(out []byte, prefix string) string {
	if m := regexp.MustCompile(`(?m)^\s*(` + prefix + `[^\n]*)$`).FindSubmatch(out); m != nil {
		return strings.Join(strings.Fields(string(m[1])), " ")
	}
	return "(" + prefix + " not reported)"
}
