// Package s3sync publishes a static site (the webapp's build) to an S3 bucket
// without ever breaking the live site. Files are compared by content (SHA-256,
// kept on each object as x-amz-meta-sha256), only new and changed files go up,
// in phases (assets, then config.json, then index.html), and files are deleted
// only once no release in the retention window uses them, after the new
// index.html is live. Each release's file list is a manifest in the bucket,
// under .empctl/releases/; a lock object (.empctl/deploy.lock, taken with S3
// conditional writes, renewed while the deploy runs; a 409 from a concurrent
// conditional write is re-read and retried) keeps two deploys from running at
// once.
//
// Each unhashed file's bytes are also kept under .empctl/files/<sha256> for as
// long as a retained release uses them, so that Rollback can put a retained
// release live again with server-side copies, without a build or an upload
// (see copies.go for why copies rather than object versions). A release is
// live by its manifest's Published time: a rollback publishes the older
// manifest again, and the retention window counts releases in the order they
// last went live.
package s3sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

// Defaults for Options. Against S3 a deploy waits on round trips, not on
// bandwidth or CPU: at 64 requests at once, 2,000 files take 32 round trips
// (at 16, 125: 2.5 s at 20 ms each, no faster than `aws s3 sync`). Memory
// stays bounded whatever the concurrency: small files stream from disk, and
// at most maxMultipart large ones buffer parts.
const (
	DefaultConcurrency = 64
	DefaultKeep        = 3
	DefaultLockTTL     = 15 * time.Minute
)

// Options describe one deploy.
type Options struct {
	Bucket string
	// Dir is the build output to publish; it must hold index.html.
	Dir string
	// Extra are files added to the release, replacing files of the same key in
	// Dir (the environment's config.json).
	Extra map[string][]byte
	// Concurrency is how many uploads (and metadata reads) run at once.
	Concurrency int
	// Keep is how many releases that went live, the new one included, keep
	// their files. A deploy cut before its index.html went live takes no
	// place among them.
	Keep int
	// DryRun returns the plan and changes nothing (no lock either).
	DryRun bool
	// Owner names who deploys, for the lock (user@host); LockTTL is how long
	// a lock left by a deploy that died blocks others.
	Owner   string
	LockTTL time.Duration
	// HashCache, if set, is a file where the deploy keeps the local files'
	// hashes, so that the next one hashes only the files that changed.
	HashCache string
	// Progress, if set, is called as the deploy goes, never concurrently.
	Progress func(Progress)
	// Invalidate, if set, tells the CDN in front of the bucket of the keys
	// that changed (Plan.Changed), once the new index.html is live. The keys
	// are recorded as pending in the published manifest until it returns nil,
	// so that a rerun after it failed, or after the deploy was cut, sends them
	// again. Deploy returns its error.
	Invalidate func(ctx context.Context, release string, keys []string) error
}

// Progress is a step of a deploy. During uploads, Files/Bytes count what is
// up out of TotalFiles/TotalBytes; Key is the last file done.
type Progress struct {
	Phase      string `json:"phase"`
	Key        string `json:"key,omitempty"`
	Files      int    `json:"files"`
	TotalFiles int    `json:"totalFiles"`
	Bytes      int64  `json:"bytes"`
	TotalBytes int64  `json:"totalBytes"`
}

// Phases reported besides the upload phases.
const (
	PhaseHash    = "hash"    // hashing the local files
	PhaseCompare = "compare" // listing the bucket, reading manifests and metadata
	PhaseDelete  = "delete"  // deleting files past the retention window
)

// Result is what a deploy did.
type Result struct {
	Plan
	Uploaded      int           `json:"uploaded"`
	UploadedBytes int64         `json:"uploadedBytes"`
	Deleted       int           `json:"deleted"`
	DryRun        bool          `json:"dryRun"`
	Duration      time.Duration `json:"duration"`
}

// Deploy publishes opts.Dir to opts.Bucket. On error the live site is the one
// before the deploy (or the new one, if only the clean-up after index.html
// failed); running Deploy again completes it.
//
// A deploy waits on round trips to S3, so it overlaps every one it can: the
// lock is taken while the local files are listed; they are hashed while the
// lock is taken and the bucket read; the hash cache is written meanwhile.
func Deploy(ctx context.Context, c Client, opts Options) (res *Result, err error) {
	start := time.Now()
	opts.defaults()
	opts.Progress(Progress{Phase: PhaseHash})
	// A folder that is no build stops the deploy before the bucket is
	// touched. The lock comes before the bucket is read, so that no deploy
	// finishing in between can make the plan stale.
	if err := checkBuild(opts.Dir, opts.Extra); err != nil {
		return nil, err
	}
	var l *lock
	var g errgroup.Group
	if !opts.DryRun {
		g.Go(func() (err error) {
			l, err = acquireLock(ctx, c, opts.Bucket, opts.Owner, opts.LockTTL, time.Now())
			return err
		})
	}
	cache := loadHashCache(opts.HashCache)
	files, err := scan(opts.Dir, opts.Extra)
	if err != nil {
		_ = g.Wait()
		if l != nil {
			_ = l.release()
		}
		return nil, err
	}
	// Hashing runs until the plan needs it; whatever happens, it is over
	// (and the cache written) when Deploy returns. Until then, only the
	// keys may be read.
	keys := make([]string, len(files))
	for i := range files {
		keys[i] = files[i].Key
	}
	hashCtx, cancelHash := context.WithCancel(ctx)
	hashed := make(chan error, 1)
	cacheSaved := make(chan struct{})
	go func() {
		err := hashAll(hashCtx, files, cache)
		hashed <- err
		if err == nil {
			// Only a cache for a later deploy: failing to write it fails
			// nothing.
			_ = cache.save(opts.HashCache, files)
		}
		close(cacheSaved)
	}()
	defer func() { cancelHash(); <-cacheSaved }()
	var m *Manifest
	manifest := sync.OnceValues(func() (*Manifest, error) {
		if err := <-hashed; err != nil {
			return nil, err
		}
		m = newManifest(releaseID(files), files, time.Now())
		return m, nil
	})

	err = g.Wait()
	locked := ctx // the deploy's context while it holds the lock
	unlock := func() error { return nil }
	if l != nil {
		var stop func()
		locked, stop = l.hold(ctx, opts.LockTTL)
		unlock = sync.OnceValue(func() error {
			stop()
			if errors.Is(context.Cause(locked), ErrLockLost) {
				return fmt.Errorf("%w: on bucket %s; run the deploy again once the other one has finished", ErrLockLost, opts.Bucket)
			}
			return l.release()
		})
		defer func() {
			// Losing the lock explains whatever else failed; failing to
			// release it matters only if nothing else did.
			if uerr := unlock(); uerr != nil && (err == nil || errors.Is(uerr, ErrLockLost)) {
				err = uerr
			}
		}()
	}
	if err != nil {
		return nil, err
	}
	opts.Progress(Progress{Phase: PhaseCompare, TotalFiles: len(files)})
	r, early, err := readBucket(locked, c, opts, keys, manifest, cache)
	if err != nil {
		return nil, err
	}
	stored, err := r.storedHashes(locked, c, opts.Bucket, keys, opts.Concurrency)
	if err != nil {
		return nil, err
	}
	if _, err := manifest(); err != nil {
		return nil, err
	}
	res = &Result{Plan: *makePlan(files, stored, r, opts.Keep, m), DryRun: opts.DryRun}
	if opts.DryRun {
		res.Duration = time.Since(start)
		return res, nil
	}
	// What this deploy will leave, for the next one's guesses, written while
	// it publishes: if it fails, the guesses are wrong, which costs nothing.
	record := &deployRecord{Bucket: opts.Bucket, Release: m.Release, Manifests: res.manifestsLeft(), Bounds: r.bounds}
	recorded := make(chan struct{})
	go func() {
		<-cacheSaved
		cache.Deployed = record
		_ = cache.save(opts.HashCache, files)
		close(recorded)
	}()
	err = publish(ctx, locked, c, opts, res, early, unlock)
	<-recorded
	res.Duration = time.Since(start)
	return res, err
}

// readBucket reads the bucket under the lock (readRemote) and, for a release
// that has no manifest yet, writes its manifest meanwhile (earlyManifest),
// returning its ETag if written. The manifest is known once the files are
// hashed, which runs meanwhile. What the last deploy from here left (cache)
// is a guess of the manifests to read; if it deployed another release, this
// one is likely new and its manifest is written as soon as it is known, else
// only once the listing shows none of it, so that a no-change deploy writes
// nothing.
func readBucket(ctx context.Context, c Client, opts Options, keys []string, manifest func() (*Manifest, error), cache *hashCache) (*remote, string, error) {
	var guess []string
	last := cache.lastDeploy(opts.Bucket)
	if last != nil {
		guess = last.Manifests
	}
	// The bucket holds at least the files it held at the last listing, and
	// likely the local ones (keys, sorted): split by whichever knows of more.
	bounds := splitEvery(keys, rangeSize)
	if last != nil && len(last.Bounds) >= len(bounds) {
		bounds = slices.Compact(slices.Sorted(slices.Values(last.Bounds)))
	}
	early := &earlyManifest{c: c, bucket: opts.Bucket}
	var mu sync.Mutex // guards starting the early write against giving up
	gaveUp := false
	ready := make(chan error, 1)
	go func() {
		m, err := manifest()
		mu.Lock()
		if err == nil && !gaveUp {
			early.m = m
			if !opts.DryRun && opts.HashCache != "" && (last == nil || last.Release != m.Release) {
				early.start(ctx)
			}
		}
		mu.Unlock()
		ready <- err
	}()
	hashed := sync.OnceValue(func() error { return <-ready })
	r, err := readRemote(ctx, c, opts.Bucket, true, bounds, guess, func(keys []string) ([]string, error) {
		if err := hashed(); err != nil {
			return nil, err
		}
		own := manifestKey(early.m.Release)
		if early.started {
			// The listing may or may not show a manifest written meanwhile;
			// one this deploy created, it knows already.
			etag, err := early.wait()
			if etag != "" {
				keys = slices.DeleteFunc(keys, func(k string) bool { return k == own })
			}
			return keys, err
		}
		if !opts.DryRun && !slices.Contains(keys, own) {
			early.start(ctx)
		}
		return keys, nil
	})
	if err != nil {
		// Join the write if it started, not the hashing (Deploy stops it):
		// nothing of this deploy may land after its lock is released.
		mu.Lock()
		gaveUp = true
		mu.Unlock()
		_, _ = early.wait()
		return nil, "", err
	}
	herr := hashed()
	etag, werr := early.wait()
	return r, etag, cmp.Or(herr, werr)
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.LockTTL <= 0 {
		o.LockTTL = DefaultLockTTL
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
}

// publish runs the plan under the lock (locked is ctx while it is held): the
// manifest (unless written already, with ETag early), the uploads phase by
// phase, then at once the deletions, the manifest again as published, and the
// invalidation. The lock is released (unlock) as soon as the deletions are
// done, while the published manifest may still be on its way: see
// publishManifest.
func publish(ctx, locked context.Context, c Client, opts Options, res *Result, early string, unlock func() error) error {
	p := &res.Plan
	copies := newUploader(c, opts.Bucket, opts.Concurrency, func(Progress) {}, p.copies)
	if p.Live {
		// A release published before the deploy kept copies gets them now.
		var g errgroup.Group
		g.Go(func() error { return invalidateLive(ctx, c, opts, p) })
		g.Go(func() error { return deleteExpired(locked, c, opts, res) })
		g.Go(func() error { return copies.phase(locked, PhaseAssets, p.copies) })
		return g.Wait()
	}
	etag := early
	if etag == "" {
		var err error
		if etag, err = putManifest(locked, c, opts.Bucket, p.manifest, false, ""); err != nil {
			return err
		}
	}
	u := newUploader(c, opts.Bucket, opts.Concurrency, opts.Progress, p.Uploads)
	for _, phase := range []string{PhaseAssets, PhaseConfig, PhaseIndex} {
		var batch []File
		for _, f := range p.Uploads {
			if phaseOf(f.Key) == phase {
				batch = append(batch, f)
			}
		}
		var err error
		if phase == PhaseAssets {
			// The copies go up with the assets, before anything is live.
			var g errgroup.Group
			g.Go(func() error { return copies.phase(locked, phase, p.copies) })
			g.Go(func() error { return u.phase(locked, phase, batch) })
			err = g.Wait()
		} else {
			err = u.phase(locked, phase, batch)
		}
		res.Uploaded, res.UploadedBytes = u.done.Files, u.done.Bytes
		if err != nil {
			return err
		}
	}
	m := p.manifest
	for key, e := range m.Files {
		if up, ok := u.etags[key]; ok {
			e.ETag = up
		} else {
			e.ETag = p.remote.objects[key].ETag
		}
		m.Files[key] = e
	}
	now := time.Now().UTC()
	m.Published = &now
	invalidate := opts.Invalidate != nil && len(p.Changed) > 0
	if invalidate {
		m.Pending = p.Changed
	}
	var g errgroup.Group
	g.Go(func() error {
		// The manifest says the release is live with its keys pending while
		// the CDN is told of them; once it has been, they are cleared.
		var pg errgroup.Group
		var published string
		pg.Go(func() (err error) { published, err = publishManifest(ctx, c, opts.Bucket, m, etag); return err })
		if invalidate {
			pg.Go(func() error { return opts.Invalidate(ctx, p.Release, p.Changed) })
		}
		if err := pg.Wait(); err != nil || !invalidate || published == "" {
			return err
		}
		m.Pending = nil
		_, err := publishManifest(ctx, c, opts.Bucket, m, published)
		return err
	})
	g.Go(func() error {
		if err := deleteExpired(locked, c, opts, res); err != nil {
			return err
		}
		return unlock()
	})
	return g.Wait()
}

// invalidateLive tells the CDN of what a no-change deploy changed: the keys
// the live release's invalidation left pending, and unhashed files deleted
// now. The live manifest records what is still pending: nothing once the CDN
// has been told, else all of it.
func invalidateLive(ctx context.Context, c Client, opts Options, p *Plan) error {
	if opts.Invalidate == nil || len(p.Changed) == 0 {
		return nil
	}
	err := opts.Invalidate(ctx, p.Release, p.Changed)
	m := p.manifest
	pending := p.Changed
	if err == nil {
		pending = nil
	}
	if !slices.Equal(m.Pending, pending) {
		m.Pending = pending
		if _, perr := publishManifest(ctx, c, opts.Bucket, m, m.etag); err == nil {
			err = perr
		}
	}
	return err
}

// publishManifest rewrites the release's manifest as published, only over the
// version this deploy wrote (If-Match etag). It may land after the lock is
// released, which is safe: it changes only Published and the ETags, never the
// file list, so a deploy that reads either version plans the same uploads,
// retention and deletions (at worst it reads metadata, invalidates paths or
// rewrites this manifest where it could have skipped it); and if a later
// deploy has already rewritten the manifest (the same build again) or
// deleted it (expired), the write is refused rather than bringing back an
// old record.
//
// It returns the written manifest's ETag, or "" if the write was refused.
func publishManifest(ctx context.Context, c Client, bucket string, m *Manifest, etag string) (string, error) {
	written, err := putManifest(ctx, c, bucket, m, false, etag)
	if preconditionFailed(err) || notFound(err) {
		return "", nil // a later deploy owns the record now
	}
	return written, err
}

// deleteExpired removes the files only expired releases used, then their
// kept copies and manifests, in batches of 1,000 (DeleteObjects' limit).
func deleteExpired(ctx context.Context, c Client, opts Options, res *Result) error {
	keys := slices.Concat(res.Deletions, res.expiredCopies)
	for _, id := range res.ExpiredReleases {
		keys = append(keys, manifestKey(id))
	}
	if len(keys) == 0 {
		return nil
	}
	opts.Progress(Progress{Phase: PhaseDelete, TotalFiles: len(res.Deletions)})
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		batch := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			batch[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(opts.Bucket),
			Delete: &types.Delete{Objects: batch, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return explain(err, opts.Bucket, "deleting expired files")
		}
		// DeleteObjects answers 200 with an error per key it did not delete
		// (AccessDenied among them): as an API error, explain gives its hint.
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			doing := "deleting " + aws.ToString(e.Key)
			if len(out.Errors) > 1 {
				doing += fmt.Sprintf(" (and %d other expired files)", len(out.Errors)-1)
			}
			return explain(&smithy.GenericAPIError{Code: aws.ToString(e.Code), Message: aws.ToString(e.Message)}, opts.Bucket, doing)
		}
		for _, k := range keys[:n] {
			if !strings.HasPrefix(k, metaPrefix) {
				res.Deleted++
			}
		}
		keys = keys[n:]
	}
	return nil
}

// ErrNoRelease: the bucket has no published release.
var ErrNoRelease = errors.New("no frontend release has been published")

// Live returns the published release: the newest manifest with Published set.
func Live(ctx context.Context, c Client, bucket string) (*Manifest, error) {
	r, err := readRemote(ctx, c, bucket, false, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	for _, m := range r.manifests {
		if m.Published != nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w to bucket %s", ErrNoRelease, bucket)
}
