package s3sync

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// object is what the bucket listing says about one object of the site.
type object struct {
	ETag     string
	Size     int64
	Modified time.Time // S3's clock, to the second
}

// remote is the bucket as the deploy found it.
type remote struct {
	objects   map[string]object // the site's objects, the deploy's records excluded
	manifests []*Manifest       // newest first
	copies    map[string]bool   // the kept copies of unhashed files (copyKey)
	// bounds split the listed keys into ranges of rangeSize, for the next
	// deploy's listing (listRanges).
	bounds []string
}

// readRemote reads the release manifests and, with site, lists the site's
// objects (in parallel ranges split at bounds, see listRanges), all at once.
// It is the deploy's first read, so a missing bucket or missing rights stop
// the deploy before anything changes.
//
// guess are manifest keys that are likely there (those the last deploy from
// here left): they are read while the bucket is listed, which saves a round
// trip when the guess is right; the listing decides which manifests count.
// listed, if set, is given the listed manifest keys and returns those to use.
func readRemote(ctx context.Context, c Client, bucket string, site bool, bounds []string, guess []string, listed func(keys []string) ([]string, error)) (*remote, error) {
	r := &remote{objects: map[string]object{}, copies: map[string]bool{}}
	g, gctx := errgroup.WithContext(ctx)
	var guessed []*Manifest
	guesses := make(chan error, 1)
	go func() {
		var err error
		guessed, err = getManifests(gctx, c, bucket, guess, true)
		guesses <- err
	}()
	g.Go(func() error {
		var keys []string
		modified := map[string]time.Time{}
		err := list(gctx, c, bucket, releasesPrefix, func(key string, o object) {
			if isManifestKey(key) {
				keys = append(keys, key)
				modified[key] = o.Modified
			}
		})
		if err == nil && listed != nil {
			keys, err = listed(keys)
		}
		if gerr := <-guesses; err == nil {
			err = gerr
		}
		if err != nil {
			return err
		}
		known := map[string]*Manifest{}
		for i, m := range guessed {
			if m != nil {
				known[guess[i]] = m
			}
		}
		var rest []string
		for _, key := range keys {
			if m, ok := known[key]; ok {
				m.modified = modified[key]
				r.manifests = append(r.manifests, m)
			} else {
				rest = append(rest, key)
			}
		}
		more, err := getManifests(gctx, c, bucket, rest, false)
		for i, m := range more {
			if m != nil {
				m.modified = modified[rest[i]]
			}
		}
		r.manifests = append(r.manifests, more...)
		sortNewestFirst(r.manifests)
		return err
	})
	if site {
		g.Go(func() error {
			var keys []string
			err := listRanges(gctx, c, bucket, bounds, func(key string, o object) {
				keys = append(keys, key)
				switch {
				case strings.HasPrefix(key, copiesPrefix):
					r.copies[key] = true
				case !strings.HasPrefix(key, metaPrefix):
					r.objects[key] = o
				}
			})
			r.bounds = splitEvery(keys, rangeSize)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return r, nil
}

// list calls fn for each object under prefix.
func list(ctx context.Context, c Client, bucket, prefix string, fn func(key string, o object)) error {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return explain(err, bucket, "listing the bucket")
		}
		for _, o := range page.Contents {
			fn(aws.ToString(o.Key), object{ETag: aws.ToString(o.ETag), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)})
		}
	}
	return nil
}

// A listing page holds at most 1,000 keys, and each page of a listing needs
// the one before (its continuation token): the bucket of a 2,000-file site
// takes 3 round trips listed from the start. Split into ranges of keys listed
// at once, it takes one. The split comes from the last listing (its every
// rangeSize-th key, kept in the hash cache) or else from the local files; a
// range that holds more keys than a page pages on, so the split only decides
// how fast the listing is, never what it finds. Each range asks for a little
// more than it held last time (rangeSlack), so that new files do not cost
// another round trip, without reading much of the next range.
var (
	rangeSize  = 500
	rangeSlack = 100
)

// listRanges calls fn for every object in the bucket, in key order, listing
// the ranges that bounds (sorted keys, each the last of a range) delimit in
// parallel.
func listRanges(ctx context.Context, c Client, bucket string, bounds []string, fn func(key string, o object)) error {
	type entry struct {
		key string
		o   object
	}
	found := make([][]entry, len(bounds)+1)
	g, ctx := errgroup.WithContext(ctx)
	for i := range found {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
		var end string
		if i > 0 {
			in.StartAfter = aws.String(bounds[i-1])
		}
		if i < len(bounds) {
			end = bounds[i]
			in.MaxKeys = aws.Int32(int32(rangeSize + rangeSlack))
		}
		g.Go(func() error {
			p := s3.NewListObjectsV2Paginator(c, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return explain(err, bucket, "listing the bucket")
				}
				for _, o := range page.Contents {
					key := aws.ToString(o.Key)
					if end != "" && key > end {
						return nil // the next range's
					}
					found[i] = append(found[i], entry{key, object{ETag: aws.ToString(o.ETag), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)}})
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, entries := range found {
		for _, e := range entries {
			fn(e.key, e.o)
		}
	}
	return nil
}

// splitEvery returns every n-th of the sorted keys: the bounds of ranges of n.
func splitEvery(keys []string, n int) []string {
	var bounds []string
	for i := n - 1; i < len(keys)-1; i += n {
		bounds = append(bounds, keys[i])
	}
	return bounds
}

// storedHashes returns the content hash of each object that has one of the
// local files' keys. A manifest entry is trusted when the listed object has its ETag and
// was last written no later than the manifest (S3's clock on both sides): the
// object has not been rewritten since the deploy that recorded it. An
// identical re-upload by another tool (aws s3 sync) keeps the ETag, an MD5 of
// the bytes, but drops the metadata, Content-Type and Cache-Control; its later
// time gives it away. (Listings give whole seconds: a re-upload within the
// second the manifest was written passes for ours.) Any other object's hash is
// read from its metadata, in parallel. An object without the metadata gets no
// hash, so it counts as changed.
func (r *remote) storedHashes(ctx context.Context, c Client, bucket string, keys []string, concurrency int) (map[string]string, error) {
	hashes := map[string]string{}
	var unknown []string
	for _, key := range keys {
		o, ok := r.objects[key]
		if !ok {
			continue
		}
		if sum := r.recorded(key, o); sum != "" {
			hashes[key] = sum
		} else {
			unknown = append(unknown, key)
		}
	}
	found := make([]string, len(unknown))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, key := range unknown {
		g.Go(func() error {
			head, err := c.HeadObject(gctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				return explain(err, bucket, "reading the metadata of "+key)
			}
			found[i] = head.Metadata[HashMetadata]
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, key := range unknown {
		if found[i] != "" {
			hashes[key] = found[i]
		}
	}
	return hashes, nil
}

func (r *remote) recorded(key string, o object) string {
	if o.ETag == "" || o.Modified.IsZero() {
		return ""
	}
	for _, m := range r.manifests {
		if e, ok := m.Files[key]; ok && e.ETag == o.ETag && !o.Modified.After(m.modified) {
			return e.SHA256
		}
	}
	return ""
}
