package awsenv

import (
	"fmt"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/empctl/empctl/pkg/cdn"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/s3sync"
)

// uploadEvery is the most often the upload counts are shown: a line per file
// would flood a CI log with thousands of them.
const uploadEvery = 250 * time.Millisecond

// syncProgress turns the sync's steps into events; the upload counts share a
// key, so a terminal redraws one line. They are shown at most every
// uploadEvery, besides the first of each phase and the last upload.
func syncProgress(progress func(env.Event)) func(s3sync.Progress) {
	var shown time.Time
	var shownPhase string
	return func(p s3sync.Progress) {
		ev := env.Event{Time: time.Now(), Kind: "frontend." + p.Phase}
		switch p.Phase {
		case s3sync.PhaseHash:
			ev.Message = "hashing the webapp build"
		case s3sync.PhaseCompare:
			ev.Message = fmt.Sprintf("comparing %d files with the bucket", p.TotalFiles)
		case s3sync.PhaseAssets, s3sync.PhaseConfig, s3sync.PhaseIndex:
			if p.Phase == shownPhase && p.Files < p.TotalFiles && time.Since(shown) < uploadEvery {
				return
			}
			shown, shownPhase = time.Now(), p.Phase
			ev.Key = "frontend.upload"
			ev.Target = p.Key
			ev.Message = fmt.Sprintf("uploaded %d/%d files, %s/%s (%s: %s)", p.Files, p.TotalFiles, humanize.Bytes(uint64(p.Bytes)), humanize.Bytes(uint64(p.TotalBytes)), p.Phase, p.Key)
		case s3sync.PhaseDelete:
			ev.Message = fmt.Sprintf("index.html is live; deleting %d files no kept release uses", p.TotalFiles)
		default:
			ev.Message = p.Phase
		}
		progress(ev)
	}
}

func cdnProgress(progress func(env.Event)) func(cdn.Event) {
	return func(c cdn.Event) {
		ev := env.Event{Time: time.Now(), Kind: "cdn." + c.Kind, Target: c.ID}
		switch c.Kind {
		case "busy":
			ev.Message = fmt.Sprintf("CloudFront has too many invalidations in progress; retrying in %s", c.Delay)
		case "created":
			ev.Message = fmt.Sprintf("CloudFront invalidation %s created", c.ID)
		case "status":
			ev.Key = "cdn.status"
			ev.Message = fmt.Sprintf("CloudFront invalidation %s: %s", c.ID, c.Status)
		case "completed":
			ev.Key = "cdn.status"
			ev.Message = fmt.Sprintf("CloudFront invalidation %s completed", c.ID)
		}
		progress(ev)
	}
}
