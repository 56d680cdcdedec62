package s3sync

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/empctl/empctl/pkg/webassets"
)

// multipartThreshold is the size from which a file goes up in parts (8 MiB
// each, the transfer manager's default, 5 at once). The transfer manager
// buffers the parts in flight, so at most maxMultipart files go up in parts
// at once (about 200 MB of buffers), whatever the concurrency.
const (
	multipartThreshold = 16 << 20
	maxMultipart       = 4
)

// uploader puts files with their metadata, many at once: small ones with one
// PutObject each, large ones in parts through the transfer manager.
type uploader struct {
	c           Client
	tm          *transfermanager.Client
	multipart   chan struct{} // a slot per multipart upload in flight
	bucket      string
	concurrency int
	progress    func(Progress)

	mu    sync.Mutex // guards etags and done, and serializes progress calls
	etags map[string]string
	done  Progress
}

func newUploader(c Client, bucket string, concurrency int, progress func(Progress), uploads []File) *uploader {
	u := &uploader{
		c:           c,
		multipart:   make(chan struct{}, maxMultipart),
		tm:          transfermanager.New(c, func(o *transfermanager.Options) { o.MultipartUploadThreshold = multipartThreshold }),
		bucket:      bucket,
		concurrency: concurrency,
		progress:    progress,
		etags:       map[string]string{},
	}
	u.done.TotalFiles = len(uploads)
	for _, f := range uploads {
		u.done.TotalBytes += f.Size
	}
	return u
}

// phase uploads files, all of one phase, and returns when every one is up.
func (u *uploader) phase(ctx context.Context, phase string, files []File) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(u.concurrency)
	for _, f := range files {
		g.Go(func() error { return u.put(ctx, phase, f) })
	}
	return g.Wait()
}

func (u *uploader) put(ctx context.Context, phase string, f File) error {
	body, done, err := f.open()
	if err != nil {
		return err
	}
	defer done()
	var etag string
	if f.Size < multipartThreshold {
		etag, err = u.putSingle(ctx, f, body)
	} else {
		etag, err = u.putMultipart(ctx, f, body)
	}
	if err != nil {
		return explain(err, u.bucket, fmt.Sprintf("uploading %s", f.Key))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.etags[f.Key] = etag
	u.done.Files++
	u.done.Bytes += f.Size
	u.done.Phase, u.done.Key = phase, f.Key
	u.progress(u.done)
	return nil
}

// putSingle uploads f in one PutObject, streamed from the file. S3 checks the
// bytes against the hash the metadata records (a file rewritten since it was
// hashed is refused, not stored under the wrong hash), and the signature
// reuses that hash instead of reading the file once more.
func (u *uploader) putSingle(ctx context.Context, f File, body io.ReadSeeker) (string, error) {
	sum, err := hex.DecodeString(f.SHA256)
	if err != nil {
		return "", err
	}
	out, err := u.c.PutObject(v4.SetPayloadHash(ctx, f.SHA256), &s3.PutObjectInput{
		Bucket:            aws.String(u.bucket),
		Key:               aws.String(f.Key),
		Body:              body,
		ContentLength:     aws.Int64(f.Size),
		ContentType:       aws.String(webassets.ContentType(f.Key)),
		CacheControl:      aws.String(webassets.CacheControl(f.Key)),
		Metadata:          map[string]string{HashMetadata: f.SHA256},
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(base64.StdEncoding.EncodeToString(sum)),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// putMultipart uploads a large f in parts, several at once, through the
// transfer manager.
func (u *uploader) putMultipart(ctx context.Context, f File, body io.ReadSeeker) (string, error) {
	select {
	case u.multipart <- struct{}{}:
		defer func() { <-u.multipart }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	out, err := u.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket:        aws.String(u.bucket),
		Key:           aws.String(f.Key),
		Body:          body,
		ContentLength: aws.Int64(f.Size),
		ContentType:   aws.String(webassets.ContentType(f.Key)),
		CacheControl:  aws.String(webassets.CacheControl(f.Key)),
		Metadata:      map[string]string{HashMetadata: f.SHA256},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}
