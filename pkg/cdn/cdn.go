// Package cdn invalidates what a frontend deploy changed in a CloudFront
// distribution, and waits for the invalidation to complete.
package cdn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
)

// Client is the part of the CloudFront API used here; *cloudfront.Client
// implements it.
type Client interface {
	GetDistribution(context.Context, *cloudfront.GetDistributionInput, ...func(*cloudfront.Options)) (*cloudfront.GetDistributionOutput, error)
	CreateInvalidation(context.Context, *cloudfront.CreateInvalidationInput, ...func(*cloudfront.Options)) (*cloudfront.CreateInvalidationOutput, error)
	GetInvalidation(context.Context, *cloudfront.GetInvalidationInput, ...func(*cloudfront.Options)) (*cloudfront.GetInvalidationOutput, error)
}

// MaxPaths is the most paths one invalidation names before it becomes /*:
// CloudFront allows 15 wildcard paths in progress per distribution, and one
// wildcard is cheaper to track than many files.
const MaxPaths = 15

// Errors a caller may want to tell apart.
var (
	ErrNoDistribution = errors.New("the CloudFront distribution does not exist")
	ErrAccessDenied   = errors.New("access denied")
)

// Paths turns the keys of changed files into invalidation paths: /key each,
// plus / when index.html changed (the default root object serves it), or /*
// when that is more than MaxPaths. Content-hashed files should not be passed:
// their names change with their content, so no cache holds a stale copy.
func Paths(changed []string) []string {
	set := map[string]bool{}
	for _, key := range changed {
		key = strings.TrimPrefix(key, "/")
		set[escape(key)] = true
		if dir, ok := strings.CutSuffix(key, "index.html"); ok && (dir == "" || strings.HasSuffix(dir, "/")) {
			set[escape(dir)] = true
		}
	}
	if len(set) > MaxPaths {
		return []string{"/*"}
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// escape makes key an invalidation path as the CloudFront developer guide
// asks ("What you need to know when invalidating files", Invalidation paths):
// non-ASCII characters and the characters RFC 1738 calls unsafe are
// percent-encoded (their UTF-8 bytes), and no others: a path with others
// encoded does not invalidate the file, so ( ) ! * ' $ + , ; : @ & = stay as
// they are. ? is encoded too: in a path as is, it would start a query string.
func escape(key string) string {
	var b strings.Builder
	b.WriteByte('/')
	for i := range len(key) {
		c := key[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(unsafe, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unsafe are RFC 1738's unsafe characters (section 2.2) but space, and ?.
const unsafe = `<>"#%{}|\^~[]` + "`?"

// Event is a step of an invalidation, for progress.
type Event struct {
	// Kind: "busy" (too many invalidations in progress; retrying after Delay),
	// "created", "status" (a poll while waiting), "completed".
	Kind   string        `json:"kind"`
	ID     string        `json:"id,omitempty"`
	Status string        `json:"status,omitempty"`
	Delay  time.Duration `json:"delay,omitempty"`
}

// Options tune Invalidate and Wait; zero values take the defaults.
type Options struct {
	// Poll is the interval between status checks while waiting (default 10s).
	Poll time.Duration
	// Backoff is the first wait after TooManyInvalidationsInProgress (default
	// 5s); it doubles up to MaxBackoff (default 1m), for at most RetryFor
	// (default 15m) in all.
	Backoff    time.Duration
	MaxBackoff time.Duration
	RetryFor   time.Duration
	Progress   func(Event)
}

func (o *Options) defaults() {
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 15 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = func(Event) {}
	}
}

// Check makes sure the distribution exists and can be read, so a deploy can
// stop before it changes anything.
func Check(ctx context.Context, c Client, distribution string) error {
	_, err := c.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(distribution)})
	return explain(err, distribution, "reading the distribution")
}

// Invalidation is a created invalidation.
type Invalidation struct {
	ID     string   `json:"id"`
	Paths  []string `json:"paths"`
	Status string   `json:"status"`
}

// Invalidate creates an invalidation of paths. reference makes the request
// idempotent (CloudFront's CallerReference): a retry with the same one does
// not create a second invalidation. While the distribution has too many
// invalidations in progress, it backs off and retries.
func Invalidate(ctx context.Context, c Client, distribution string, paths []string, reference string, opts Options) (*Invalidation, error) {
	opts.defaults()
	if len(paths) == 0 {
		return nil, errors.New("no paths to invalidate")
	}
	in := &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(distribution),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(reference),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	}
	delay, giveUp := opts.Backoff, time.Now().Add(opts.RetryFor)
	for {
		out, err := c.CreateInvalidation(ctx, in)
		if err == nil {
			inv := &Invalidation{ID: aws.ToString(out.Invalidation.Id), Paths: paths, Status: aws.ToString(out.Invalidation.Status)}
			opts.Progress(Event{Kind: "created", ID: inv.ID, Status: inv.Status})
			return inv, nil
		}
		var busy *types.TooManyInvalidationsInProgress
		if !errors.As(err, &busy) {
			return nil, explain(err, distribution, "creating an invalidation")
		}
		if time.Now().Add(delay).After(giveUp) {
			return nil, fmt.Errorf("distribution %s still had too many invalidations in progress after %s: retry the deploy later (the files are published; only the cache is stale)", distribution, opts.RetryFor)
		}
		opts.Progress(Event{Kind: "busy", Delay: delay})
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
		delay = min(2*delay, opts.MaxBackoff)
	}
}

// Wait polls the invalidation until it has completed. The status is compared
// without regard to case: CloudFront says "Completed", moto "COMPLETED" (the
// SDK's InvalidationCompleted waiter compares exactly, so it would never end
// on moto).
func Wait(ctx context.Context, c Client, distribution, id string, opts Options) error {
	opts.defaults()
	for {
		out, err := c.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(distribution), Id: aws.String(id)})
		if err != nil {
			return explain(err, distribution, "reading invalidation "+id)
		}
		status := aws.ToString(out.Invalidation.Status)
		if strings.EqualFold(status, "Completed") {
			opts.Progress(Event{Kind: "completed", ID: id, Status: status})
			return nil
		}
		opts.Progress(Event{Kind: "status", ID: id, Status: status})
		if err := sleep(ctx, opts.Poll); err != nil {
			return fmt.Errorf("waiting for invalidation %s: %w", id, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func explain(err error, distribution, doing string) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchDistribution":
			return fmt.Errorf("%w: %s (%s; is the environment provisioned? the id comes from `cloudfront_distribution_id` in its outputs.json)", ErrNoDistribution, distribution, doing)
		case "AccessDenied":
			return fmt.Errorf("%w to CloudFront distribution %s while %s (%s): the credentials need cloudfront:GetDistribution, cloudfront:CreateInvalidation and cloudfront:GetInvalidation", ErrAccessDenied, distribution, doing, apiErr.ErrorMessage())
		}
	}
	return fmt.Errorf("%s %s: %w", doing, distribution, err)
}
