package s3sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// Keys the deploy gives a meaning to. Its own records live under metaPrefix,
// next to the site but never part of a release.
const (
	IndexKey       = "index.html"
	ConfigKey      = "config.json"
	metaPrefix     = ".empctl/"
	releasesPrefix = metaPrefix + "releases/"
	lockKey        = metaPrefix + "deploy.lock"
	// HashMetadata is the user metadata key (x-amz-meta-sha256) holding each
	// object's content hash, written at upload.
	HashMetadata = "sha256"
)

// A Manifest records one release: every file it serves. It is written before
// the release's first upload (so every file a release may reference is in
// some manifest) and again once its index.html is live, with Published set and
// the objects' ETags, which later deploys use to trust the recorded hashes
// without reading every object's metadata.
type Manifest struct {
	Release   string           `json:"release"`
	Created   time.Time        `json:"created"`
	Published *time.Time       `json:"published,omitempty"`
	Files     map[string]Entry `json:"files"`
	// Pending are changed keys the CDN in front (Options.Invalidate) has not
	// been told of yet: set when the release is published, cleared once the
	// invalidation is sent. A deploy that finds them on the live release
	// invalidates them again, so a failed or cut invalidation is retried.
	Pending []string `json:"pending,omitempty"`

	etag     string    // of the object read
	modified time.Time // its LastModified in the listing
}

// Entry is one file of a release.
type Entry struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag,omitempty"`
}

// releaseID names a release by its content, so a rerun of an interrupted
// deploy of the same build continues the same release.
func releaseID(files []File) string {
	h := sha256.New()
	for _, f := range files {
		_, _ = fmt.Fprintf(h, "%s\x00%s\n", f.Key, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func manifestKey(release string) string { return releasesPrefix + release + ".json" }

func newManifest(id string, files []File, now time.Time) *Manifest {
	m := &Manifest{Release: id, Created: now.UTC(), Files: make(map[string]Entry, len(files))}
	for _, f := range files {
		m.Files[f.Key] = Entry{SHA256: f.SHA256, Size: f.Size}
	}
	return m
}

// putManifest writes m and returns its ETag. With create, it writes only if
// there is no manifest of that release yet (If-None-Match); with ifMatch, only
// over that version of it. A refused condition comes back as the raw error,
// for preconditionFailed.
func putManifest(ctx context.Context, c Client, bucket string, m *Manifest, create bool, ifMatch string) (string, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{
		Bucket:       aws.String(bucket),
		Key:          aws.String(manifestKey(m.Release)),
		Body:         bytes.NewReader(body),
		ContentType:  aws.String("application/json"),
		CacheControl: aws.String("no-store"),
	}
	if create {
		in.IfNoneMatch = aws.String("*")
	}
	if ifMatch != "" {
		in.IfMatch = aws.String(ifMatch)
	}
	out, err := c.PutObject(ctx, in)
	if err != nil {
		if (create || ifMatch != "") && (preconditionFailed(err) || notFound(err)) {
			return "", err
		}
		return "", explain(err, bucket, "writing the release manifest")
	}
	return aws.ToString(out.ETag), nil
}

// getManifests reads the manifests at keys in parallel, in the order of keys.
// With missingOK, a key with no object (a guess) gets nil rather than an error.
func getManifests(ctx context.Context, c Client, bucket string, keys []string, missingOK bool) ([]*Manifest, error) {
	out := make([]*Manifest, len(keys))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, key := range keys {
		g.Go(func() error {
			resp, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if missingOK && notFound(err) {
				return nil
			}
			if err != nil {
				return explain(err, bucket, "reading "+key)
			}
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
			}
			var m Manifest
			if err := json.Unmarshal(body, &m); err != nil || m.Release == "" {
				return fmt.Errorf("s3://%s/%s is not a release manifest (%v): remove it if something else wrote it", bucket, key, err)
			}
			m.etag = aws.ToString(resp.ETag)
			out[i] = &m
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// sortNewestFirst orders the manifests by when they last went live, or were
// created if they never did: a rollback publishes an older release again,
// which makes it the newest.
func sortNewestFirst(ms []*Manifest) {
	sort.SliceStable(ms, func(i, j int) bool {
		ti, tj := ms[i].since(), ms[j].since()
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return ms[i].Release > ms[j].Release
	})
}

func (m *Manifest) since() time.Time {
	if m.Published != nil && m.Published.After(m.Created) {
		return *m.Published
	}
	return m.Created
}

func isManifestKey(key string) bool {
	return strings.HasPrefix(key, releasesPrefix) && strings.HasSuffix(key, ".json")
}
