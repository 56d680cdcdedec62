package awsenv

import (
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/s3sync"
)

func TestUploadProgressIsThrottled(t *testing.T) {
	var events []env.Event
	show := syncProgress(func(e env.Event) { events = append(events, e) })
	const assets = 2000
	for i := 1; i <= assets; i++ {
		show(s3sync.Progress{Phase: s3sync.PhaseAssets, Key: "a", Files: i, TotalFiles: assets + 2})
	}
	show(s3sync.Progress{Phase: s3sync.PhaseConfig, Key: "config.json", Files: assets + 1, TotalFiles: assets + 2})
	show(s3sync.Progress{Phase: s3sync.PhaseIndex, Key: "index.html", Files: assets + 2, TotalFiles: assets + 2})
	// One line per 250 ms at most, besides the first of each phase: far fewer
	// than one per file, however slow the machine.
	if len(events) < 3 || len(events) > assets/4 {
		t.Fatalf("%d events for %d uploads", len(events), assets+2)
	}
	first, last := events[0], events[len(events)-1]
	if !strings.HasPrefix(first.Message, "uploaded 1/") || !strings.HasPrefix(last.Message, "uploaded 2002/2002") || last.Key != first.Key {
		t.Errorf("first %q, last %q", first.Message, last.Message)
	}
}
