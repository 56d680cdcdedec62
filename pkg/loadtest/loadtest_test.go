package loadtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// waitUntil polls cond; the test's own deadline bounds it.
func waitUntil(cond func() bool) {
	for !cond() {
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunReportsVersionsFailuresAndPhases(t *testing.T) {
	var version atomic.Value
	version.Store("v1")
	var fail atomic.Bool
	var failed, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte("<html>"))
			return
		}
		if fail.Load() {
			failed.Add(1)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set("X-App-Version", version.Load().(string))
	}))
	defer srv.Close()

	run := Start(Options{Rate: 200, Targets: []Target{
		{Name: "GET /api/version", Method: "GET", URL: srv.URL + "/api/version", Weight: 2},
		{Name: "GET /", Method: "GET", URL: srv.URL + "/", Weight: 1},
	}})
	waitUntil(func() bool { return run.Count() >= 50 })
	run.Mark(PhaseDuring)
	version.Store("v2")
	fail.Store(true)
	waitUntil(func() bool { return failed.Load() >= 10 })
	fail.Store(false)
	run.Mark(PhaseAfter)
	after := served.Load()
	// The "after" phase needs more than the last second's worth of answers.
	waitUntil(func() bool { return served.Load() >= after+300 })
	res := run.Stop()

	ro := &env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Started: res.Started, Finished: res.Ended}
	kill := Action{Kind: ActionKill, Started: res.Started.Add(time.Second), Finished: res.Started.Add(time.Second), Target: "local-abc"}
	rep := res.Build(Info{Env: "test", Endpoint: srv.URL, Rollout: ro, Targets: []string{"GET /api/version", "GET /"},
		Actions: []Action{{Kind: ActionRollout, Started: res.Started, Finished: res.Ended, Rollout: ro}, kill},
		Writes:  &Writes{Marker: "zd-test", Acknowledged: 3, Verified: 3, Accounts: 7, Locked: 7}})
	if rep.Failed < 10 || rep.Failures["HTTP 502"] != rep.Failed || rep.Requests != rep.Failed+rep.Succeeded {
		t.Fatalf("requests %d failed %d failures %v; want at least 10 failures, all 502s", rep.Requests, rep.Failed, rep.Failures)
	}
	if rep.Verdict != VerdictFail || !strings.Contains(strings.Join(rep.Reasons, ";"), "failed") {
		t.Fatalf("verdict %s %v, want fail for the failed requests", rep.Verdict, rep.Reasons)
	}
	if rep.Versions["v1"] == 0 || rep.Versions["v2"] == 0 || rep.FinalVersions["v1"] != 0 || rep.FinalVersions["v2"] == 0 {
		t.Fatalf("versions %v, at the end %v", rep.Versions, rep.FinalVersions)
	}
	for _, p := range []string{PhaseBefore, PhaseDuring, PhaseAfter} {
		if rep.Latency[p].Requests == 0 {
			t.Fatalf("no latency for phase %s: %v", p, rep.Latency)
		}
	}
	for _, s := range rep.Timeline {
		if s.P50 > s.P99 {
			t.Fatalf("second %d: p50 %.1f above p99 %.1f", s.Second, s.P50, s.P99)
		}
	}

	dir := t.TempDir()
	if err := Save(dir, rep); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", failColor, "kill local-abc", "rollout → v2", "p50 latency", "zd-test", "<h2>Writes</h2>"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(string(html), "<script") {
		t.Fatal("report.html has a script")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	WriteText(&sb, iostreams.NewColorScheme(false), rep)
	for _, want := range []string{"Writes    3 acknowledged, 3 verified, 0 lost, 0 duplicated (marker zd-test)", "kill at 1s: local-abc killed without warning", "Accounts  7 of 7 test users locked (passwords discarded, sessions revoked)"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, sb.String())
		}
	}
}

// Vary makes each request of a target, may skip a turn, and OnResult sees
// every answer with its body.
func TestVaryAndOnResult(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	}))
	defer srv.Close()
	var n atomic.Int64
	var mu sync.Mutex
	seen := map[string]int{}
	run := Start(Options{Rate: 200, Targets: []Target{
		{Name: "POST /echo", Method: "POST", URL: srv.URL + "/echo", Weight: 1, Vary: func(r *Request) bool {
			i := n.Add(1)
			if i%2 == 0 {
				return false // skipped: the GET goes instead
			}
			r.Body = []byte(fmt.Sprintf("write-%d", i))
			return true
		}},
		{Name: "GET /", Method: "GET", URL: srv.URL + "/", Weight: 1},
	}, OnResult: func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		seen[r.Method]++
		if r.Method == "POST" && !strings.HasPrefix(string(r.Body), "write-") {
			t.Errorf("POST answered %q", r.Body)
		}
	}})
	waitUntil(func() bool { mu.Lock(); defer mu.Unlock(); return seen["POST"] >= 20 })
	rep := run.Stop().Build(Info{})
	mu.Lock()
	defer mu.Unlock()
	if seen["GET"] <= seen["POST"] || rep.Requests != seen["GET"]+seen["POST"] {
		t.Fatalf("answers %v for %d requests: skipped turns should have sent more GETs than POSTs", seen, rep.Requests)
	}
}

func TestVerdictPassesOnlyWhenTheNewVersionAnswersEverythingAtTheEnd(t *testing.T) {
	base := time.Now()
	rs := &Results{Started: base, Ended: base.Add(3 * time.Second), marks: []mark{{base, PhaseBefore}}}
	for i := range 30 {
		v := "v1"
		if i >= 20 {
			v = "v2"
		}
		rs.hits = append(rs.hits, hit{at: base.Add(time.Duration(i) * 100 * time.Millisecond), code: 200, version: v, latency: time.Millisecond})
	}
	ok := rs.Build(Info{Rollout: &env.Rollout{Version: "v2", Outcome: env.OutcomeCompleted}})
	if ok.Verdict != VerdictPass {
		t.Fatalf("verdict %s %v, want pass", ok.Verdict, ok.Reasons)
	}
	rs.hits[29].version = "v1"
	if bad := rs.Build(Info{Rollout: &env.Rollout{Version: "v2", Outcome: env.OutcomeCompleted}}); bad.Verdict != VerdictFail {
		t.Fatal("v1 still answering at the end passed")
	}
	if bad := rs.Build(Info{Rollout: &env.Rollout{Version: "v2", Outcome: env.OutcomeFailed, Reason: "boom"}}); bad.Verdict != VerdictFail {
		t.Fatal("a failed rollout passed")
	}
}

func TestVerdictFailsOnLostOrDuplicatedWrites(t *testing.T) {
	base := time.Now()
	rs := &Results{Started: base, Ended: base.Add(time.Second), marks: []mark{{base, PhaseBefore}},
		hits: []hit{{at: base, code: 200, version: "v2", latency: time.Millisecond}}}
	ro := &env.Rollout{Version: "v2", Outcome: env.OutcomeCompleted}
	for _, w := range []*Writes{{Acknowledged: 2, Verified: 1, Lost: 1}, {Acknowledged: 2, Verified: 2, Duplicated: 1}, {Error: "the API did not answer"}} {
		if rep := rs.Build(Info{Rollout: ro, Writes: w}); rep.Verdict != VerdictFail {
			t.Fatalf("writes %+v passed", w)
		}
	}
	if rep := rs.Build(Info{Rollout: ro, Writes: &Writes{Acknowledged: 2, Verified: 2}}); rep.Verdict != VerdictPass {
		t.Fatalf("a clean audit failed: %v", rep.Reasons)
	}
}
