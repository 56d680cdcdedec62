package s3sync_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/empctl/empctl/pkg/s3sync"
	"github.com/empctl/empctl/pkg/webassets"
)

// release is what a deploy left: its id, its unhashed files' bytes, and the
// bucket's site keys.
type release struct {
	id       string
	unhashed map[string]string
	keys     []string
}

// deployVersion deploys a build in which index.html, config.json and an
// unhashed file differ by version, and records what is live.
func (s *site) deployVersion(t *testing.T, version string, mod ...func(*s3sync.Options)) release {
	t.Helper()
	dir := build(t, version)
	write(t, filepath.Join(dir, "3rdpartylicenses.txt"), "licenses of "+version)
	mod = append([]func(*s3sync.Options){func(o *s3sync.Options) {
		o.Extra = map[string][]byte{"config.json": []byte(`{"apiBaseUrl":"/api","v":"` + version + `"}`)}
	}}, mod...)
	res := s.deploy(t, dir, mod...)
	return s.snapshot(t, res.Release)
}

func (s *site) snapshot(t *testing.T, id string) release {
	t.Helper()
	r := release{id: id, unhashed: map[string]string{}}
	for _, k := range s.keys(t) {
		if strings.HasPrefix(k, ".empctl/") {
			continue
		}
		r.keys = append(r.keys, k)
		if !webassets.IsHashed(k) {
			r.unhashed[k] = s.get(t, k)
		}
	}
	return r
}

func (s *site) rollback(t *testing.T, to string, mod ...func(*s3sync.RollbackOptions)) (*s3sync.RollbackResult, error) {
	t.Helper()
	opts := s3sync.RollbackOptions{Bucket: bucket, To: to, Owner: "test"}
	for _, m := range mod {
		m(&opts)
	}
	return s3sync.Rollback(context.Background(), s.client, opts)
}

// checkLive fails unless want is the live release, its unhashed files are
// in the bucket byte for byte with their headers, and a deploy of its build
// would change nothing.
func (s *site) checkLive(t *testing.T, want release) {
	t.Helper()
	live, err := s3sync.Live(context.Background(), s.client, bucket)
	if err != nil || live.Release != want.id {
		t.Fatalf("live release %v (%v), want %s", live, err, want.id)
	}
	for key, body := range want.unhashed {
		if _, stillThere := live.Files[key]; !stillThere {
			continue // a file of a later release that a deploy keeps too
		}
		if got := s.get(t, key); got != body {
			t.Errorf("%s = %q, want release %s's %q", key, got, want.id, body)
		}
		head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != webassets.ContentType(key) || aws.ToString(head.CacheControl) != webassets.CacheControl(key) || head.Metadata["sha256"] != live.Files[key].SHA256 {
			t.Errorf("%s restored with %q, %q, sha256 %q", key, aws.ToString(head.ContentType), aws.ToString(head.CacheControl), head.Metadata["sha256"])
		}
	}
	s.checkIndexWhole(t)
}

func TestRollbackRestoresRetainedReleases(t *testing.T) {
	s := newSite(t)
	v1 := s.deployVersion(t, "v1")
	v2 := s.deployVersion(t, "v2")
	v3 := s.deployVersion(t, "v3")

	s.proxy.Reset()
	var invalidated []string
	res, err := s.rollback(t, "", func(o *s3sync.RollbackOptions) {
		o.Invalidate = func(_ context.Context, _ string, keys []string) error { invalidated = keys; return nil }
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Release != v2.id || res.From != v3.id {
		t.Fatalf("rolled back from %s to %s, want from v3 %s to v2 %s", res.From, res.Release, v3.id, v2.id)
	}
	if want := []string{"3rdpartylicenses.txt", "config.json", "index.html"}; !slices.Equal(res.Restored, want) || !slices.Equal(invalidated, []string{"3rdpartylicenses.txt", "config.json", "index.html"}) {
		t.Errorf("restored %v and invalidated %v, want %v in a deploy's order", res.Restored, invalidated, want)
	}
	for _, r := range s.proxy.Requests() {
		if r.Method == http.MethodPut && !strings.HasPrefix(r.S3Key(bucket), ".empctl/") && r.Header.Get("X-Amz-Copy-Source") == "" {
			t.Errorf("the rollback uploaded %s, want server-side copies only", r.S3Key(bucket))
		}
	}
	s.checkLive(t, v2)
	if after := s.snapshot(t, v2.id); !slices.Equal(after.keys, v3.keys) {
		t.Errorf("the bucket holds %v after the rollback, want what it held (%v): every retained release's files", after.keys, v3.keys)
	}

	// A redeploy of v2's build now finds it live: the bucket is as a deploy of
	// v2 would leave it.
	dir := build(t, "v2")
	write(t, filepath.Join(dir, "3rdpartylicenses.txt"), "licenses of v2")
	s.proxy.Reset()
	redeploy := s.deploy(t, dir, func(o *s3sync.Options) {
		o.Extra = map[string][]byte{"config.json": []byte(`{"apiBaseUrl":"/api","v":"v2"}`)}
	})
	if !redeploy.Live || len(s.puts()) != 0 {
		t.Errorf("a deploy of v2 after the rollback to it uploaded %v (live %v), want nothing", s.puts(), redeploy.Live)
	}

	// An older retained release, by a prefix of its id.
	if res, err = s.rollback(t, v1.id[:6]); err != nil || res.Release != v1.id {
		t.Fatalf("rollback to %s: %+v, %v", v1.id[:6], res, err)
	}
	s.checkLive(t, v1)

	// The release live before the current one is now v2 again.
	if res, err = s.rollback(t, ""); err != nil || res.Release != v2.id {
		t.Fatalf("second rollback: %+v, %v; want v2", res, err)
	}
	s.checkLive(t, v2)

	list, err := s3sync.Releases(context.Background(), s.client, bucket)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range list {
		ids = append(ids, r.Release)
	}
	if want := []string{v2.id, v1.id, v3.id}; !slices.Equal(ids, want) || !list[0].Live || list[1].Live || list[0].Files != 13 {
		t.Errorf("releases %+v, want %v, the live one first, most recently live next", list, want)
	}
}

func TestRollbackRefusesReleasesPastRetention(t *testing.T) {
	s := newSite(t)
	keep := func(o *s3sync.Options) { o.Keep = 2 }
	v1 := s.deployVersion(t, "v1", keep)
	v2 := s.deployVersion(t, "v2", keep)
	v3 := s.deployVersion(t, "v3", keep)
	before := s.keys(t)

	_, err := s.rollback(t, v1.id)
	if !errors.Is(err, s3sync.ErrNotRetained) || !strings.Contains(err.Error(), v2.id) || !strings.Contains(err.Error(), v3.id) {
		t.Errorf("rollback to the expired v1: %v; want ErrNotRetained listing v2 and v3", err)
	}
	if _, err := s.rollback(t, "zz"); !errors.Is(err, s3sync.ErrNotRetained) {
		t.Errorf("rollback to an unknown release: %v, want ErrNotRetained", err)
	}
	if after := s.keys(t); !slices.Equal(after, before) {
		t.Errorf("a refused rollback changed the bucket: %v, was %v", after, before)
	}
	// The expired release's kept copies went with it: one per unhashed
	// content of the two retained releases.
	want := map[string]bool{}
	for _, r := range []release{v2, v3} {
		for _, body := range r.unhashed {
			want[body] = true
		}
	}
	if n := countPrefix(before, ".empctl/files/"); n != len(want) {
		t.Errorf("%d kept copies, want %d (the retained releases' unhashed files)", n, len(want))
	}
}

func TestRollbackDryRunChangesNothing(t *testing.T) {
	s := newSite(t)
	v1 := s.deployVersion(t, "v1")
	v2 := s.deployVersion(t, "v2")
	s.proxy.Reset()
	res, err := s.rollback(t, "", func(o *s3sync.RollbackOptions) { o.DryRun = true })
	if err != nil || res.Release != v1.id || len(res.Restored) != 3 {
		t.Fatalf("dry run: %+v, %v; want v1 with 3 files to restore", res, err)
	}
	for _, r := range s.proxy.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("a dry run sent %s %s", r.Method, r.Path)
		}
	}
	s.checkLive(t, v2)
}

// TestRollbackCutAfterConfig: a rollback cut once config.json is restored
// leaves the live release's index.html serving whole, and a rerun completes.
func TestRollbackCutAfterConfig(t *testing.T) {
	s := newSite(t)
	v1 := s.deployVersion(t, "v1")
	v2 := s.deployVersion(t, "v2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html") {
			cancel()
			return http.StatusServiceUnavailable, "<Error><Code>ServiceUnavailable</Code><Message>cut</Message></Error>"
		}
		return 0, ""
	})
	_, err := s3sync.Rollback(ctx, s.client, s3sync.RollbackOptions{Bucket: bucket, Owner: "test"})
	if err == nil {
		t.Fatal("the cut rollback succeeded")
	}
	s.proxy.SetHook(nil)
	if got := s.get(t, "config.json"); got != v1.unhashed["config.json"] {
		t.Fatalf("config.json = %q, want v1's: the cut should come after it", got)
	}
	if got := s.get(t, "index.html"); got != v2.unhashed["index.html"] {
		t.Errorf("index.html changed although the rollback was cut before it")
	}
	s.checkIndexWhole(t)
	if live, err := s3sync.Live(context.Background(), s.client, bucket); err != nil || live.Release != v2.id {
		t.Errorf("live release %v (%v) after the cut, want v2 still", live, err)
	}

	res, err := s.rollback(t, "")
	if err != nil || res.Release != v1.id {
		t.Fatalf("the rerun: %+v, %v", res, err)
	}
	if !slices.Equal(res.Restored, []string{"index.html"}) {
		t.Errorf("the rerun restored %v, want only what the cut left: index.html", res.Restored)
	}
	s.checkLive(t, v1)
}
