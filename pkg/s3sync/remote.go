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
}

// readRemote reads the release manifests and, with site, lists the site's
// objects, both at once. It is the deploy's first read, so a missing bucket or
// missing rights stop the deploy before anything changes.
//
// guess are manifest keys that are likely there (those the last deploy from
// here left): they are read while the bucket is listed, which saves a round
// trip when the guess is right; the listing decides which manifests count.
// listed, if set, is given the listed manifest keys and returns those to use.
func readRemote(ctx context.Context, c Client, bucket string, site bool, guess []string, listed func(keys []string) ([]string, error)) (*remote, error) {
	r := &remote{objects: map[string]object{}}
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
			return list(gctx, c, bucket, "", func(key string, o object) {
				if !strings.HasPrefix(key, metaPrefix) {
					r.objects[key] = o
				}
			})
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

// storedHashes returns the content hash of each object that has one of files'
// keys. A manifest entry is trusted when the listed object has its ETag and
// was last written no later than the manifest (S3's clock on both sides): the
// object has not been rewritten since the deploy that recorded it. An
// identical re-upload by another tool (aws s3 sync) keeps the ETag, an MD5 of
// the bytes, but drops the metadata, Content-Type and Cache-Control; its later
// time gives it away. (Listings give whole seconds: a re-upload within the
// second the manifest was written passes for ours.) Any other object's hash is
// read from its metadata, in parallel. An object without the metadata gets no
// hash, so it counts as changed.
func (r *remote) storedHashes(ctx context.Context, c Client, bucket string, files []File, concurrency int) (map[string]string, error) {
	hashes := map[string]string{}
	var unknown []string
	for _, f := range files {
		o, ok := r.objects[f.Key]
		if !ok {
			continue
		}
		if sum := r.recorded(f.Key, o); sum != "" {
			hashes[f.Key] = sum
		} else {
			unknown = append(unknown, f.Key)
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
