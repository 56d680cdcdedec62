package s3sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// lockInfo is the body of the lock object.
type lockInfo struct {
	Owner    string    `json:"owner"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// lock is a held deploy lock.
type lock struct {
	c      Client
	bucket string
	info   lockInfo

	mu   sync.Mutex
	etag string // of our latest write
}

// acquireLock takes the bucket's deploy lock with S3 conditional writes: a
// PutObject with If-None-Match: * succeeds for one writer only. A lock past its
// expiry (its deploy died) is taken over with If-Match on its ETag, so two
// deploys cannot both take over the same stale lock.
func acquireLock(ctx context.Context, c Client, bucket, owner string, ttl time.Duration, now time.Time) (*lock, error) {
	host, _ := os.Hostname()
	info := lockInfo{Owner: owner, Host: host, PID: os.Getpid(), Acquired: now.UTC(), Expires: now.Add(ttl).UTC()}
	body, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	put := func(ifNoneMatch, ifMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(lockKey), Body: bytes.NewReader(body),
			ContentType: aws.String("application/json"), CacheControl: aws.String("no-store"),
			IfNoneMatch: ifNoneMatch, IfMatch: ifMatch,
		})
	}
	out, err := put(aws.String("*"), nil)
	if err == nil {
		return &lock{c: c, bucket: bucket, info: info, etag: aws.ToString(out.ETag)}, nil
	}
	if !preconditionFailed(err) {
		return nil, explain(err, bucket, "taking the deploy lock")
	}
	held, etag, err := readLock(ctx, c, bucket)
	if err != nil {
		return nil, err
	}
	if held != nil && now.Before(held.Expires) && !held.deadHere(host) {
		return nil, fmt.Errorf("%w on bucket %s: %s has held the lock since %s. Wait for it to finish; if it died, the lock expires at %s",
			ErrLocked, bucket, held.Owner, held.Acquired.Format(time.RFC3339), held.Expires.Format(time.RFC3339))
	}
	if held == nil { // released between our two requests: try once more
		out, err = put(aws.String("*"), nil)
	} else {
		out, err = put(nil, aws.String(etag))
	}
	if preconditionFailed(err) {
		return nil, fmt.Errorf("%w on bucket %s: another deploy took the lock just now", ErrLocked, bucket)
	}
	if err != nil {
		return nil, explain(err, bucket, "taking the deploy lock")
	}
	return &lock{c: c, bucket: bucket, info: info, etag: aws.ToString(out.ETag)}, nil
}

// ErrLockLost: the deploy stalled past its lock's expiry and another deploy
// took the lock over.
var ErrLockLost = errors.New("the deploy lock was taken over by another deploy (this one stalled past its expiry)")

// hold renews the lock's expiry every ttl/3 while the deploy runs, with
// If-Match on its ETag, so a long deploy keeps it. If the lock was taken over,
// the returned context is cancelled with ErrLockLost. stop ends the renewals:
// it lets a renewal in flight finish (renewals run on ctx, not on the returned
// context), since one cut off could still land and leave the lock with an ETag
// the release's If-Match no longer knows.
func (l *lock) hold(ctx context.Context, ttl time.Duration) (context.Context, func()) {
	held, cancel := context.WithCancelCause(ctx)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-held.Done():
				return
			case <-quit:
				return
			case now := <-t.C:
				if err := l.renew(ctx, now.Add(ttl)); errors.Is(err, errNotOurs) {
					cancel(ErrLockLost)
					return
				}
				// Other errors (the network): the next tick tries again,
				// and the expiry leaves room for two misses.
			}
		}
	}()
	return held, func() { close(quit); <-done; cancel(nil) }
}

// errNotOurs: the lock object is not the one we wrote last.
var errNotOurs = errors.New("the deploy lock is not ours")

// renew rewrites the lock with a later expiry, If-Match on our ETag; it
// returns errNotOurs when another deploy replaced or removed it.
func (l *lock) renew(ctx context.Context, expires time.Time) error {
	info := l.info
	info.Expires = expires.UTC()
	body, err := json.Marshal(info)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.whileOurs(ctx, func() error {
		out, err := l.c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(l.bucket), Key: aws.String(lockKey), Body: bytes.NewReader(body),
			ContentType: aws.String("application/json"), CacheControl: aws.String("no-store"),
			IfMatch: aws.String(l.etag),
		})
		if err == nil {
			l.etag = aws.ToString(out.ETag)
		}
		return err
	})
}

// conflictRetries bounds the retries after 409 ConditionalRequestConflict,
// from conflictBackoff doubling: about 3 s in all.
const (
	conflictRetries = 5
	conflictBackoff = 100 * time.Millisecond
)

// whileOurs runs a conditional write on the lock (If-Match on our ETag).
// S3 answers 409 ConditionalRequestConflict when another conditional write
// to the key is in flight (another deploy's acquire), and the documented
// response is to read the object again and retry ("How to prevent object
// overwrites with conditional writes", S3 user guide): while the lock still
// has our ETag, write retries after a back-off. A 412, or another ETag or
// none after a 409, is errNotOurs. l.mu must be held.
func (l *lock) whileOurs(ctx context.Context, write func() error) error {
	delay := conflictBackoff
	for attempt := 0; ; attempt++ {
		err := write()
		if err == nil || !conflict(err) {
			if preconditionFailed(err) {
				return fmt.Errorf("%w: %w", errNotOurs, err)
			}
			return err
		}
		if attempt == conflictRetries {
			return err
		}
		_, etag, rerr := readLock(ctx, l.c, l.bucket)
		if rerr != nil {
			return rerr
		}
		if etag != l.etag {
			return fmt.Errorf("%w: %w", errNotOurs, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// deadHere reports whether the lock's deploy ran on this machine and its
// process is gone (killed, so it never released the lock).
func (l *lockInfo) deadHere(host string) bool {
	if l.Host == "" || l.Host != host || l.PID <= 0 {
		return false
	}
	p, err := os.FindProcess(l.PID)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}

// readLock returns the lock's content and ETag, or nil when there is none.
func readLock(ctx context.Context, c Client, bucket string) (*lockInfo, string, error) {
	resp, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(lockKey)})
	if err != nil {
		if notFound(err) {
			return nil, "", nil
		}
		return nil, "", explain(err, bucket, "reading the deploy lock")
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	var info lockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		// Unreadable: treat as expired, so a deploy can take it over.
		return &lockInfo{Owner: "unknown"}, aws.ToString(resp.ETag), nil
	}
	return &info, aws.ToString(resp.ETag), nil
}

// release deletes the lock if it is still ours. It runs on a fresh context so
// an interrupted deploy still frees the lock when the network allows.
func (l *lock) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.whileOurs(ctx, func() error {
		_, err := l.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(lockKey), IfMatch: aws.String(l.etag)})
		return err
	})
	// Not ours any more, or gone (S3 answers 404 to a conditional delete of
	// a missing key): nothing to release.
	if err != nil && !errors.Is(err, errNotOurs) && !notFound(err) {
		return explain(err, l.bucket, "releasing the deploy lock")
	}
	return nil
}

func notFound(err error) bool {
	var apiErr smithy.APIError
	return (errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchKey") || statusCode(err) == http.StatusNotFound
}

// conflict: S3 saw a concurrent conditional write to the same key (409
// ConditionalRequestConflict).
func conflict(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ConditionalRequestConflict" {
		return true
	}
	return statusCode(err) == http.StatusConflict
}

// preconditionFailed: a conditional write lost (412), or S3 saw a concurrent
// conditional write to the same key (409 ConditionalRequestConflict).
func preconditionFailed(err error) bool {
	if err == nil {
		return false
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	code := statusCode(err)
	return code == http.StatusPreconditionFailed || code == http.StatusConflict
}
