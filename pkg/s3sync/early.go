package s3sync

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// earlyManifest writes a new release's manifest while the bucket is read,
// instead of after: its content depends on the local files only, and it
// still lands before any upload starts, so an interrupted deploy's files are
// always in a manifest. It only creates (If-None-Match): a release that has a
// manifest already (live, or a rerun) is left to the plan, as before.
type earlyManifest struct {
	c      Client
	bucket string
	m      *Manifest

	started bool
	g       errgroup.Group
	etag    string // set once written
}

// start sends the write; wait joins it.
func (e *earlyManifest) start(ctx context.Context) {
	e.started = true
	e.g.Go(func() error {
		etag, err := putManifest(ctx, e.c, e.bucket, e.m, true, "")
		if preconditionFailed(err) {
			return nil // there is one: the plan decides
		}
		e.etag = etag
		return err
	})
}

// wait returns the written manifest's ETag, or "" if it was not written.
func (e *earlyManifest) wait() (string, error) {
	err := e.g.Wait()
	return e.etag, err
}
