package awsenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/empctl/empctl/pkg/cdn"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/s3sync"
)

// RollbackFrontend puts a retained webapp release live again (pkg/s3sync's
// Rollback: server-side copies of its unhashed files, in a deploy's order and
// under its lock), then invalidates the restored paths in CloudFront and
// waits, as a deploy does.
func (e *Env) RollbackFrontend(ctx context.Context, opts env.FrontendRollbackOptions, progress func(env.Event)) (env.Frontend, error) {
	start := time.Now()
	s3c, cf, err := e.frontendClients(ctx, 0)
	if err != nil {
		return env.Frontend{}, err
	}
	bucket, distribution := e.Outputs.WebappBucket, e.Outputs.CloudFrontDistributionID
	if err := cdn.Check(ctx, cf, distribution); err != nil {
		return env.Frontend{}, err
	}
	cdnOpts := cdn.Options{Progress: cdnProgress(progress)}
	var inv *cdn.Invalidation
	res, err := s3sync.Rollback(ctx, s3c, s3sync.RollbackOptions{
		Bucket:   bucket,
		To:       opts.To,
		DryRun:   opts.DryRun,
		Owner:    deployer(),
		Progress: restoreProgress(progress),
		Invalidate: func(ctx context.Context, release string, keys []string) (err error) {
			ref := fmt.Sprintf("empctl-rollback-%s-%d", release, time.Now().UnixNano())
			inv, err = cdn.Invalidate(ctx, cf, distribution, cdn.Paths(keys), ref, cdnOpts)
			return err
		},
	})
	if errors.Is(err, s3sync.ErrNotRetained) {
		return env.Frontend{}, notRetained{err}
	}
	if err != nil {
		if res != nil && inv == nil && len(res.Changed) > 0 {
			return env.Frontend{}, fmt.Errorf("release %s is live in the bucket, but CloudFront may serve the old files until its cache expires; run the rollback again with --to %s to retry the invalidation: %w", res.Release, res.Release, err)
		}
		return env.Frontend{}, err
	}
	fe := env.Frontend{Release: res.Release, From: res.From, Files: res.Files, DryRun: res.DryRun, Restored: res.Restored, Unchanged: res.Release == res.From}
	if fe.Unchanged { // as a deploy of the live build says it: every file not restored is unchanged
		fe.UnchangedFiles = fe.Files - len(fe.Restored)
	}
	return finishInvalidation(fe, res.Release, res.Changed, inv, opts.NoWait, func() error {
		return cdn.Wait(ctx, cf, distribution, inv.ID, cdnOpts)
	}, start)
}

// FrontendReleases lists the retained webapp releases, the live one first.
func (e *Env) FrontendReleases(ctx context.Context) ([]env.FrontendRelease, error) {
	s3c, _, err := e.frontendClients(ctx, 0)
	if err != nil {
		return nil, err
	}
	rs, err := s3sync.Releases(ctx, s3c, e.Outputs.WebappBucket)
	if err != nil {
		return nil, err
	}
	out := make([]env.FrontendRelease, len(rs))
	for i, r := range rs {
		out[i] = env.FrontendRelease{Release: r.Release, Published: r.Published, Files: r.Files, Live: r.Live}
	}
	return out, nil
}

// notRetained is s3sync's error, matching env.ErrNotRetained as well.
type notRetained struct{ error }

func (e notRetained) Unwrap() []error { return []error{e.error, env.ErrNotRetained} }

// restoreProgress turns a rollback's steps into events.
func restoreProgress(progress func(env.Event)) func(s3sync.Progress) {
	return func(p s3sync.Progress) {
		ev := env.Event{Time: time.Now(), Kind: "frontend." + p.Phase}
		switch p.Phase {
		case s3sync.PhaseCompare:
			ev.Message = "reading the retained releases in the bucket"
		default:
			ev.Key, ev.Target = "frontend.restore", p.Key
			ev.Message = fmt.Sprintf("restored %d/%d unhashed files (%s)", p.Files, p.TotalFiles, p.Key)
		}
		progress(ev)
	}
}
