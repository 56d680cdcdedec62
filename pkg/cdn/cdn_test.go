package cdn_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/empctl/empctl/pkg/cdn"
	"github.com/empctl/empctl/pkg/testenv"
)

func TestPaths(t *testing.T) {
	for _, tc := range []struct {
		changed []string
		want    []string
	}{
		{[]string{"index.html", "config.json"}, []string{"/", "/config.json", "/index.html"}},
		{[]string{"favicon.ico"}, []string{"/favicon.ico"}},
		{[]string{"docs/index.html"}, []string{"/docs/", "/docs/index.html"}},
		{[]string{"not-index.html"}, []string{"/not-index.html"}},
		{[]string{"media/a b ü.txt"}, []string{"/media/a%20b%20%C3%BC.txt"}},
		// Only non-ASCII and RFC 1738's unsafe characters are encoded; the
		// others as they are, or the invalidation misses the file.
		{[]string{"media/Résumé (final)!.pdf"}, []string{"/media/R%C3%A9sum%C3%A9%20(final)!.pdf"}},
		{[]string{"O'Brien's notes*.txt"}, []string{"/O'Brien's%20notes*.txt"}},
		{[]string{"$a+b,c;d:e@f&g=h.txt"}, []string{"/$a+b,c;d:e@f&g=h.txt"}},
		{[]string{"u<>\"#%{}|\\^~[]`?.txt"}, []string{"/u%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%3F.txt"}},
		{manyKeys(15), nil}, // 15 paths: named one by one
		{append(manyKeys(14), "index.html"), []string{"/*"}}, // 16 with /
	} {
		got := cdn.Paths(tc.changed)
		if tc.want == nil {
			if len(got) != 15 || slices.Contains(got, "/*") {
				t.Errorf("Paths(%d keys) = %v, want the 15 paths", len(tc.changed), got)
			}
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Paths(%v) = %v, want %v", tc.changed, got, tc.want)
		}
	}
}

func manyKeys(n int) []string {
	var keys []string
	for i := range n {
		keys = append(keys, "file"+string(rune('a'+i))+".txt")
	}
	return keys
}

// distribution creates a distribution in a moto server of its own and returns
// a client through a recording proxy, and the distribution's id.
func distribution(t *testing.T) (*cloudfront.Client, *testenv.AWSProxy, string) {
	t.Helper()
	moto := testenv.Moto(t)
	proxy := testenv.NewAWSProxy(t, moto)
	direct := client(moto)
	out, err := direct.CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{DistributionConfig: &types.DistributionConfig{
		CallerReference: aws.String("test"),
		Comment:         aws.String("test"),
		Enabled:         aws.Bool(true),
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
			Id: aws.String("s3"), DomainName: aws.String("webapp-test.s3.amazonaws.com"),
			S3OriginConfig: &types.S3OriginConfig{OriginAccessIdentity: aws.String("")},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{
			TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: types.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"),
		},
		DefaultRootObject: aws.String("index.html"),
	}})
	if err != nil {
		t.Fatalf("creating a distribution in moto: %v", err)
	}
	return client(proxy.URL), proxy, aws.ToString(out.Distribution.Id)
}

func client(endpoint string) *cloudfront.Client {
	return cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

var fast = cdn.Options{Poll: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}

func TestInvalidateAndWait(t *testing.T) {
	c, proxy, id := distribution(t)
	ctx := context.Background()
	if err := cdn.Check(ctx, c, id); err != nil {
		t.Fatal(err)
	}
	// A real file name with characters CloudFront wants as they are.
	paths := cdn.Paths([]string{"index.html", "config.json", "media/Résumé (final)!.pdf"})
	if !slices.Contains(paths, "/media/R%C3%A9sum%C3%A9%20(final)!.pdf") {
		t.Fatalf("paths %v", paths)
	}
	inv, err := cdn.Invalidate(ctx, c, id, paths, "r1", fast)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(id), Id: aws.String(inv.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if items := got.Invalidation.InvalidationBatch.Paths.Items; !slices.Equal(sorted(items), paths) {
		t.Errorf("the invalidation has paths %v, want %v", items, paths)
	}
	// Two answers as real CloudFront gives while it works, then moto's.
	var mu sync.Mutex
	polls := 0
	proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/invalidation/") {
			return 0, ""
		}
		mu.Lock()
		defer mu.Unlock()
		if polls++; polls <= 2 {
			invID := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			return http.StatusOK, `<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>` + invID +
				`</Id><Status>InProgress</Status><CreateTime>2026-11-30T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/index.html</Path></Items></Paths><CallerReference>r1</CallerReference></InvalidationBatch></Invalidation>`
		}
		return 0, ""
	})
	var seen []string
	opts := fast
	opts.Progress = func(e cdn.Event) { seen = append(seen, e.Kind+":"+e.Status) }
	if err := cdn.Wait(ctx, c, id, inv.ID, opts); err != nil {
		t.Fatal(err)
	}
	if want := []string{"status:InProgress", "status:InProgress", "completed:COMPLETED"}; !slices.Equal(seen, want) {
		t.Errorf("wait saw %v, want %v (moto's COMPLETED accepted as Completed)", seen, want)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestBacksOffWhileTooManyInvalidations(t *testing.T) {
	c, proxy, id := distribution(t)
	busy := 0
	proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invalidation") && busy < 3 {
			busy++
			return http.StatusBadRequest, `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>TooManyInvalidationsInProgress</Code><Message>Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`
		}
		return 0, ""
	})
	var events []string
	opts := fast
	opts.Progress = func(e cdn.Event) { events = append(events, e.Kind) }
	inv, err := cdn.Invalidate(context.Background(), c, id, []string{"/*"}, "r2", opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"busy", "busy", "busy", "created"}; !slices.Equal(events, want) || inv.ID == "" {
		t.Errorf("events %v, want %v and an id", events, want)
	}

	// Busy for longer than RetryFor: a clear error.
	busy = -1000
	opts.RetryFor = 50 * time.Millisecond
	if _, err := cdn.Invalidate(context.Background(), c, id, []string{"/*"}, "r3", opts); err == nil || !strings.Contains(err.Error(), "too many invalidations in progress") {
		t.Errorf("got %v, want the busy error", err)
	}
}

func TestMissingDistributionAndAccessDenied(t *testing.T) {
	c, proxy, _ := distribution(t)
	err := cdn.Check(context.Background(), c, "E0000MISSING")
	if !errors.Is(err, cdn.ErrNoDistribution) || !strings.Contains(err.Error(), "cloudfront_distribution_id") {
		t.Errorf("a missing distribution: %v", err)
	}
	proxy.SetHook(func(*http.Request) (int, string) {
		return http.StatusForbidden, `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`
	})
	if _, err := cdn.Invalidate(context.Background(), c, "E1", []string{"/"}, "r", fast); !errors.Is(err, cdn.ErrAccessDenied) || !strings.Contains(err.Error(), "cloudfront:CreateInvalidation") {
		t.Errorf("access denied: %v", err)
	}
}
