package local_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
)

// The replicas' log files are merged in time order, each line naming its
// replica; a line without a time (a panic's trace) keeps its place after the
// line before it, and a line still being written waits until it is complete.
func TestLogsMergesTheReplicasFiles(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := func(sec int, msg string) string {
		return fmt.Sprintf(`{"time":"2026-12-06T20:00:%02d.000Z","level":"INFO","msg":%q}`+"\n", sec, msg)
	}
	write := func(name, text string) {
		f, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = f.Close() }()
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
	}
	write("local-a", line(1, "a1")+line(4, "a4")+"goroutine 1 [running]:\n")
	write("local-b", line(0, "b0")+line(2, "b2")+line(5, "b5")+`{"time":"2026-12-06T20:00:06`)

	e := local.NewEnv(t.TempDir(), state)
	read := func(opts env.LogOptions) []string {
		var got []string
		if err := e.Logs(t.Context(), opts, func(l env.LogLine) { got = append(got, l.Target+" "+l.Message) }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read(env.LogOptions{})
	want := []string{"local-b b0", "local-a a1", "local-b b2", "local-a a4", "local-a goroutine 1 [running]:", "local-b b5"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		target, msg, _ := strings.Cut(w, " ")
		if !strings.HasPrefix(got[i], target+" ") || !strings.Contains(got[i], msg) {
			t.Errorf("line %d is %q, want %s's %q", i, got[i], target, msg)
		}
	}

	since := read(env.LogOptions{Since: time.Date(2026, 12, 6, 20, 0, 4, 0, time.UTC), Target: "local-a"})
	if len(since) != 2 || !strings.Contains(since[0], "a4") || !strings.Contains(since[1], "goroutine") {
		t.Errorf("local-a since :04: %q, want a4 and the trace", since)
	}

	err := e.Logs(t.Context(), env.LogOptions{Target: "local-c"}, func(env.LogLine) {})
	for _, want := range []string{"no log of replica local-c", "local-a, local-b"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("unknown target: %v; want it to say %q", err, want)
		}
	}
	if err := local.NewEnv(t.TempDir(), t.TempDir()).Logs(t.Context(), env.LogOptions{}, func(env.LogLine) {}); err == nil || !strings.Contains(err.Error(), "empctl up") {
		t.Fatalf("no stack ever started: %v; want it to say to run empctl up", err)
	}
}

// Against real replicas: every replica's lines, and with Follow the request
// sent afterwards, until the context ends.
func TestLogsOfRealReplicas(t *testing.T) {
	opts := localtest.Options(t)
	s := localtest.Start(t, opts)
	e := local.NewEnv(t.TempDir(), opts.StateDir)
	st := s.Status()
	var ids []string
	for _, tg := range st.Targets {
		ids = append(ids, tg.ID)
	}

	var mu sync.Mutex
	var lines []env.LogLine
	if err := e.Logs(t.Context(), env.LogOptions{}, func(l env.LogLine) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		if !slices.Contains(ids, l.Target) {
			t.Errorf("line of %q, not one of the replicas %v: %s", l.Target, ids, l.Message)
		}
		if i > 0 && l.Time.Before(lines[i-1].Time) {
			t.Errorf("line %d (%s) is older than the one before (%s)", i, l.Time, lines[i-1].Time)
		}
		seen[l.Target] = true
	}
	if len(seen) != len(ids) {
		t.Fatalf("lines of %v, want every replica's %v", seen, ids)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	marker := fmt.Sprintf("/api/logs-test-%d", time.Now().UnixNano())
	found := make(chan env.LogLine, 1)
	done := make(chan error, 1)
	since := time.Now() // before the request, whenever the goroutine runs
	go func() {
		done <- e.Logs(ctx, env.LogOptions{Follow: true, Since: since}, func(l env.LogLine) {
			mu.Lock()
			defer mu.Unlock()
			if strings.Contains(l.Message, marker) {
				select {
				case found <- l:
				default:
				}
			}
		})
	}()
	resp, err := http.Get(st.Endpoint + marker)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	select {
	case l := <-found:
		if !slices.Contains(ids, l.Target) {
			t.Errorf("the request was logged by %q, not a replica of %v", l.Target, ids)
		}
	case err := <-done:
		t.Fatalf("follow ended before the request was logged: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("the request never showed in the followed logs")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v, want the context's cancellation", err)
	}
}
