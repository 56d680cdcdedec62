package loadtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
)

func TestRunReportsVersionsFailuresAndPhases(t *testing.T) {
	var version atomic.Value
	version.Store("v1")
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte("<html>"))
			return
		}
		if fail.Load() {
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
	time.Sleep(500 * time.Millisecond)
	run.Mark(PhaseDuring)
	version.Store("v2")
	fail.Store(true)
	time.Sleep(100 * time.Millisecond)
	fail.Store(false)
	run.Mark(PhaseAfter)
	time.Sleep(1200 * time.Millisecond)
	res := run.Stop()

	ro := &env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted}
	rep := res.Build("test", srv.URL, ro, []string{"GET /api/version", "GET /"}, nil)
	if rep.Requests < 300 || rep.Failed == 0 || rep.Failures["HTTP 502"] != rep.Failed {
		t.Fatalf("requests %d failed %d failures %v; want ~360 requests and only 502s failing", rep.Requests, rep.Failed, rep.Failures)
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

	dir := t.TempDir()
	if err := Save(dir, rep); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "<svg") || strings.Contains(string(html), "<script") || !strings.Contains(string(html), failColor) {
		t.Fatal("report.html lacks the inline SVG chart with failures, or has a script")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	WriteText(&sb, rep)
	t.Log("\n" + sb.String())
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
	ok := rs.Build("t", "x", &env.Rollout{Version: "v2", Outcome: env.OutcomeCompleted}, nil, nil)
	if ok.Verdict != VerdictPass {
		t.Fatalf("verdict %s %v, want pass", ok.Verdict, ok.Reasons)
	}
	rs.hits[29].version = "v1"
	if bad := rs.Build("t", "x", &env.Rollout{Version: "v2", Outcome: env.OutcomeCompleted}, nil, nil); bad.Verdict != VerdictFail {
		t.Fatal("v1 still answering at the end passed")
	}
	if bad := rs.Build("t", "x", &env.Rollout{Version: "v2", Outcome: env.OutcomeFailed, Reason: "boom"}, nil, nil); bad.Verdict != VerdictFail {
		t.Fatal("a failed rollout passed")
	}
}
