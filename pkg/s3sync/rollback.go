package s3sync

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/empctl/empctl/pkg/webassets"
)

// RollbackOptions describe a rollback of the site to a retained release.
type RollbackOptions struct {
	Bucket string
	// To is the release to put live again, by id or a unique prefix of it;
	// empty means the release live before the current one.
	To string
	// DryRun returns what would change and changes nothing (no lock either).
	DryRun      bool
	Concurrency int
	Owner       string
	LockTTL     time.Duration
	Progress    func(Progress)
	// Invalidate is called as in a deploy, with the restored keys.
	Invalidate func(ctx context.Context, release string, keys []string) error
}

// RollbackResult is what a rollback did or, with DryRun, would do.
type RollbackResult struct {
	Release string `json:"release"`
	// From is the release that was live.
	From  string `json:"from"`
	Files int    `json:"files"`
	// Restored are the unhashed files put back, in the order they went up.
	Restored []string `json:"restored"`
	// Changed are the paths the CDN is told of.
	Changed  []string      `json:"changed"`
	DryRun   bool          `json:"dryRun"`
	Duration time.Duration `json:"duration"`
}

// ReleaseInfo describes one release in the bucket.
type ReleaseInfo struct {
	Release   string    `json:"release"`
	Published time.Time `json:"published"`
	Files     int       `json:"files"`
	Live      bool      `json:"live"`
}

// ErrNotRetained: the release asked for is not in the bucket any more (or
// never was).
var ErrNotRetained = errors.New("the release is not retained")

// Releases lists the published releases whose manifests the bucket keeps,
// the live one first.
func Releases(ctx context.Context, c Client, bucket string) ([]ReleaseInfo, error) {
	r, err := readRemote(ctx, c, bucket, false, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return published(r.manifests), nil
}

func published(ms []*Manifest) []ReleaseInfo {
	var out []ReleaseInfo
	for _, m := range ms {
		if m.Published != nil {
			out = append(out, ReleaseInfo{Release: m.Release, Published: *m.Published, Files: len(m.Files), Live: len(out) == 0})
		}
	}
	return out
}

// Rollback puts a retained release live again without uploading it: its
// hashed files are still in the bucket (retention keeps them), and its
// unhashed ones are restored from the copies the deploy keeps, by server-side
// copies, in a deploy's order (other unhashed files, config.json, index.html)
// and under its lock; then its manifest is published again, which makes it
// the live release, and the CDN is told of the restored paths. Cut anywhere,
// the site serves whole releases' files as after a cut deploy, and the same
// rollback again completes it: nothing is published until index.html is back.
func Rollback(ctx context.Context, c Client, opts RollbackOptions) (res *RollbackResult, err error) {
	start := time.Now()
	o := Options{Concurrency: opts.Concurrency, LockTTL: opts.LockTTL, Progress: opts.Progress}
	o.defaults()
	locked := ctx
	if !opts.DryRun {
		l, err := acquireLock(ctx, c, opts.Bucket, opts.Owner, o.LockTTL, time.Now())
		if err != nil {
			return nil, err
		}
		var stop func()
		locked, stop = l.hold(ctx, o.LockTTL)
		defer func() {
			stop()
			if errors.Is(context.Cause(locked), ErrLockLost) {
				err = fmt.Errorf("%w: on bucket %s; run the rollback again once the other deploy has finished", ErrLockLost, opts.Bucket)
			} else if rerr := l.release(); err == nil {
				err = rerr
			}
		}()
	}
	o.Progress(Progress{Phase: PhaseCompare})
	r, err := readRemote(locked, c, opts.Bucket, true, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	live, target, err := pickRelease(r.manifests, opts.To, opts.Bucket)
	if err != nil {
		return nil, err
	}
	restore, err := planRestore(locked, c, opts.Bucket, o.Concurrency, r, target)
	if err != nil {
		return nil, err
	}
	res = &RollbackResult{Release: target.Release, From: live.Release, Files: len(target.Files), DryRun: opts.DryRun}
	changed := slices.Clone(restore)
	for _, key := range live.Pending {
		if !slices.Contains(changed, key) {
			changed = append(changed, key)
		}
	}
	slices.Sort(changed)
	res.Restored, res.Changed = restore, changed
	if opts.DryRun {
		res.Duration = time.Since(start)
		return res, nil
	}
	etags, err := restoreFiles(locked, c, opts.Bucket, o, target, restore)
	if err != nil {
		return nil, err
	}
	err = republish(ctx, c, opts, r, target, etags, changed)
	res.Duration = time.Since(start)
	return res, err
}

// pickRelease returns the live release and the one to roll back to: to (an
// id or a unique prefix) or else the release live before the live one.
func pickRelease(ms []*Manifest, to, bucket string) (live, target *Manifest, err error) {
	var pub []*Manifest
	for _, m := range ms {
		if m.Published != nil {
			pub = append(pub, m)
		}
	}
	if len(pub) == 0 {
		return nil, nil, fmt.Errorf("%w to bucket %s", ErrNoRelease, bucket)
	}
	live = pub[0]
	if to == "" {
		if len(pub) < 2 {
			return nil, nil, fmt.Errorf("%w: no release before %s is retained in bucket %s; deploy the one you want from its sources", ErrNotRetained, live.Release, bucket)
		}
		return live, pub[1], nil
	}
	var found []*Manifest
	for _, m := range pub {
		if strings.HasPrefix(m.Release, to) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return live, found[0], nil
	case 0:
		return nil, nil, fmt.Errorf("%w: no release %q in bucket %s (past the retention window, or never published); deploy it from its sources, or roll back to one that is retained:\n%s", ErrNotRetained, to, bucket, listReleases(published(pub)))
	}
	return nil, nil, fmt.Errorf("%q names more than one release in bucket %s; give more of its id:\n%s", to, bucket, listReleases(published(found)))
}

func listReleases(rs []ReleaseInfo) string {
	var b strings.Builder
	for _, r := range rs {
		live := ""
		if r.Live {
			live = "  (live)"
		}
		fmt.Fprintf(&b, "  %s  published %s  %d files%s\n", r.Release, r.Published.Format(time.RFC3339), r.Files, live)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// planRestore checks that every file of target is in the bucket and returns
// its unhashed files whose bucket object differs, in a deploy's order, each
// with a kept copy to restore it from.
func planRestore(ctx context.Context, c Client, bucket string, concurrency int, r *remote, target *Manifest) ([]string, error) {
	var missing, unhashed []string
	for key := range target.Files {
		if _, ok := r.objects[key]; !ok && webassets.IsHashed(key) {
			missing = append(missing, key)
		}
		if !webassets.IsHashed(key) {
			unhashed = append(unhashed, key)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("%w: release %s lacks %d of its files in bucket %s (%s…); deploy it from its sources instead", ErrNotRetained, target.Release, len(missing), bucket, missing[0])
	}
	stored, err := r.storedHashes(ctx, c, bucket, unhashed, concurrency)
	if err != nil {
		return nil, err
	}
	var restore, noCopy []string
	for _, key := range unhashed {
		e := target.Files[key]
		if stored[key] == e.SHA256 {
			continue
		}
		restore = append(restore, key)
		if !r.copies[copyKey(e.SHA256)] {
			noCopy = append(noCopy, key)
		}
	}
	if len(noCopy) > 0 {
		slices.Sort(noCopy)
		return nil, fmt.Errorf("%w: release %s was published before empctl kept copies of its unhashed files (%s has none); deploy it from its sources instead", ErrNotRetained, target.Release, strings.Join(noCopy, ", "))
	}
	slices.SortFunc(restore, func(a, b string) int {
		if d := phaseRank[phaseOf(a)] - phaseRank[phaseOf(b)]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return restore, nil
}

// restoreFiles copies the kept copies over keys, phase by phase, and returns
// the new objects' ETags.
func restoreFiles(ctx context.Context, c Client, bucket string, o Options, target *Manifest, keys []string) (map[string]string, error) {
	etags := map[string]string{}
	done := 0
	for _, phase := range []string{PhaseAssets, PhaseConfig, PhaseIndex} {
		var batch []string
		for _, key := range keys {
			if phaseOf(key) == phase {
				batch = append(batch, key)
			}
		}
		found := make([]string, len(batch))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(o.Concurrency)
		for i, key := range batch {
			g.Go(func() error {
				e := target.Files[key]
				out, err := c.CopyObject(gctx, &s3.CopyObjectInput{
					Bucket:            aws.String(bucket),
					Key:               aws.String(key),
					CopySource:        aws.String(bucket + "/" + url.PathEscape(copyKey(e.SHA256))),
					MetadataDirective: types.MetadataDirectiveReplace,
					ContentType:       aws.String(webassets.ContentType(key)),
					CacheControl:      aws.String(webassets.CacheControl(key)),
					Metadata:          map[string]string{HashMetadata: e.SHA256},
				})
				if err != nil {
					return explain(err, bucket, "restoring "+key)
				}
				if out.CopyObjectResult != nil {
					found[i] = aws.ToString(out.CopyObjectResult.ETag)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for i, key := range batch {
			etags[key] = found[i]
			done++
			o.Progress(Progress{Phase: phase, Key: key, Files: done, TotalFiles: len(keys)})
		}
	}
	return etags, nil
}

// republish writes target's manifest again as published now, which makes it
// the live release, with the restored paths pending while the CDN is told of
// them, as a deploy does.
func republish(ctx context.Context, c Client, opts RollbackOptions, r *remote, target *Manifest, etags map[string]string, changed []string) error {
	m := *target
	m.Files = make(map[string]Entry, len(target.Files))
	for key, e := range target.Files {
		if etag, ok := etags[key]; ok {
			e.ETag = etag
		} else {
			e.ETag = r.objects[key].ETag
		}
		m.Files[key] = e
	}
	now := time.Now().UTC()
	m.Published = &now
	invalidate := opts.Invalidate != nil && len(changed) > 0
	m.Pending = nil
	if invalidate {
		m.Pending = changed
	}
	etag, err := putManifest(ctx, c, opts.Bucket, &m, false, target.etag)
	if preconditionFailed(err) || notFound(err) {
		return fmt.Errorf("the manifest of release %s changed during the rollback; run it again", m.Release)
	}
	if err != nil || !invalidate {
		return err
	}
	if err := opts.Invalidate(ctx, m.Release, changed); err != nil {
		return err
	}
	m.Pending = nil
	_, err = publishManifest(ctx, c, opts.Bucket, &m, etag)
	return err
}
