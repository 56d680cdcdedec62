package s3sync

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"golang.org/x/sync/errgroup"

	"github.com/empctl/empctl/pkg/webassets"
)

// multipartThreshold is the size from which a file goes up in parts (8 MiB
// each, the transfer manager's default).
const multipartThreshold = 16 << 20

// uploader puts files with their metadata, many at once; the transfer manager
// splits large ones into multipart uploads.
type uploader struct {
	tm          *transfermanager.Client
	bucket      string
	concurrency int
	progress    func(Progress)

	mu    sync.Mutex // guards etags and done, and serializes progress calls
	etags map[string]string
	done  Progress
}

func newUploader(c Client, bucket string, concurrency int, progress func(Progress), uploads []File) *uploader {
	u := &uploader{
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
	in := &transfermanager.UploadObjectInput{
		Bucket:        aws.String(u.bucket),
		Key:           aws.String(f.Key),
		Body:          body,
		ContentLength: aws.Int64(f.Size),
		ContentType:   aws.String(webassets.ContentType(f.Key)),
		CacheControl:  aws.String(webassets.CacheControl(f.Key)),
		Metadata:      map[string]string{HashMetadata: f.SHA256},
	}
	if f.Size < multipartThreshold {
		// One PUT: S3 checks the bytes against the hash the metadata records
		// (a file rewritten since it was hashed is refused, not stored under
		// the wrong hash), and the signature reuses it instead of reading the
		// file once more.
		sum, err := hex.DecodeString(f.SHA256)
		if err != nil {
			return err
		}
		in.ChecksumAlgorithm = tmtypes.ChecksumAlgorithmSha256
		in.ChecksumSHA256 = aws.String(base64.StdEncoding.EncodeToString(sum))
		ctx = v4.SetPayloadHash(ctx, f.SHA256)
	}
	out, err := u.tm.UploadObject(ctx, in)
	if err != nil {
		return explain(err, u.bucket, fmt.Sprintf("uploading %s", f.Key))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.etags[f.Key] = aws.ToString(out.ETag)
	u.done.Files++
	u.done.Bytes += f.Size
	u.done.Phase, u.done.Key = phase, f.Key
	u.progress(u.done)
	return nil
}
