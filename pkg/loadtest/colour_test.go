package loadtest

import (
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// verify's text report colours its verdict, failures and outcomes only with
// a colour scheme that is on (a terminal without NO_COLOR); report.html
// embeds the text without colour.
func TestTextReportColour(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rs := &Results{Started: t0, Ended: t0.Add(3 * time.Second), Rate: 2, marks: []mark{{t0, PhaseBefore}},
		hits: []hit{{at: t0, code: 200, version: "v2"}, {at: t0.Add(time.Second), code: 502}, {at: t0.Add(2 * time.Second), code: 200, version: "v2"}}}
	ro := &env.Rollout{Version: "v2", PreviousVersion: "v1", Outcome: env.OutcomeCompleted, Started: t0, Finished: t0.Add(time.Second)}
	rep := rs.Build(Info{Env: "test", Rollout: ro, Actions: []Action{{Kind: ActionRollout, Started: t0, Finished: t0.Add(time.Second), Rollout: ro}}})

	var plain, coloured strings.Builder
	WriteText(&plain, iostreams.NewColorScheme(false), rep)
	WriteText(&coloured, iostreams.NewColorScheme(true), rep)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Fatalf("colour with colour off:\n%q", plain.String())
	}
	for _, want := range []string{"verification: \x1b[31mFAIL\x1b[0m", "\x1b[31m✗\x1b[0m 1 of 3 requests failed", "\x1b[31m1 failed\x1b[0m", "v1 → v2 \x1b[32mcompleted\x1b[0m", "\x1b[31mFAILED 1\x1b[0m"} {
		if !strings.Contains(coloured.String(), want) {
			t.Errorf("the coloured report lacks %q:\n%q", want, coloured.String())
		}
	}
	if got := stripColour(coloured.String()); got != plain.String() {
		t.Errorf("colour changed the text:\n%s\nwant\n%s", got, plain.String())
	}
	dir := t.TempDir()
	if err := Save(dir, rep); err != nil {
		t.Fatal(err)
	}
}

func stripColour(s string) string {
	for _, code := range []string{"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[0m"} {
		s = strings.ReplaceAll(s, code, "")
	}
	return s
}
