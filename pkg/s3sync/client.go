package s3sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Client is the part of the S3 API the sync uses; *s3.Client implements it.
type Client interface {
	transfermanager.S3APIClient
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
}

// Errors a caller may want to tell apart.
var (
	// ErrNoBuild: the folder to deploy is missing, empty or has no index.html.
	ErrNoBuild = errors.New("no webapp build to deploy")
	// ErrNoBucket: the bucket does not exist.
	ErrNoBucket = errors.New("the bucket does not exist")
	// ErrAccessDenied: the credentials may not do what the deploy needs.
	ErrAccessDenied = errors.New("access denied")
	// ErrLocked: another deploy holds the bucket's deploy lock.
	ErrLocked = errors.New("another deploy is in progress")
)

// permissions are what a deploy does in the bucket: s3:AbortMultipartUpload
// for a large file's upload that failed part-way.
const permissions = "s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload"

// explain turns the S3 errors a user can fix into ones that say how.
func explain(err error, bucket, doing string) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("%w: %s while %s (is the environment provisioned? the bucket comes from `webapp_bucket` in its outputs.json)", ErrNoBucket, bucket, doing)
		case "AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return fmt.Errorf("%w to bucket %s while %s (%s): the credentials need "+permissions+" on it", ErrAccessDenied, bucket, doing, apiErr.ErrorMessage())
		}
	}
	if code := statusCode(err); code == http.StatusForbidden {
		return fmt.Errorf("%w to bucket %s while %s: the credentials need "+permissions+" on it", ErrAccessDenied, bucket, doing)
	}
	return fmt.Errorf("%s in bucket %s: %w", doing, bucket, err)
}

func statusCode(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// HTTPClient is an HTTP client for the S3 client of a deploy with the given
// concurrency: the SDK's default keeps 10 idle connections per host, so 64
// uploads at once would keep opening new ones (a TLS handshake each on S3).
func HTTPClient(concurrency int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = max(concurrency, DefaultConcurrency) + 4
	})
}
