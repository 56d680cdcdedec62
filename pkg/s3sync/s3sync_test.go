package s3sync_test

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/empctl/empctl/pkg/s3sync"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/webassets"
)

const bucket = "webapp-test"

// site is a bucket in a moto server of its own, reached through a recording
// proxy.
type site struct {
	client *s3.Client // through the proxy
	direct *s3.Client // straight to moto, for the test's own checks
	proxy  *testenv.AWSProxy
}

func newSite(t *testing.T) *site {
	t.Helper()
	moto := testenv.Moto(t)
	proxy := testenv.NewAWSProxy(t, moto)
	s := &site{client: client(proxy.URL), direct: client(moto), proxy: proxy}
	if _, err := s.direct.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return s
}

func client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
	})
}

// build writes a webapp build whose hashed names and contents depend on
// version, with one file of each kind the Angular build emits.
func build(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	h := func(s string) string { return esbuildHash(crc(s + version)) }
	files := map[string]string{
		"main-" + h("main") + ".js":          "console.log('main " + version + "')",
		"main-" + h("main") + ".js.map":      `{"version":3}`,
		"chunk-" + h("chunk") + ".mjs":       "export const v = '" + version + "'",
		"styles-" + h("styles") + ".css":     "body{color:red}/*" + version + "*/",
		"media/logo-" + h("logo") + ".svg":   "<svg>" + version + "</svg>",
		"media/photo-" + h("png") + ".png":   "png" + version,
		"media/photo-" + h("webp") + ".webp": "webp" + version,
		"media/font-" + h("font") + ".woff2": "woff2" + version,
		"favicon.ico":                        "ico",
		"3rdpartylicenses.txt":               "MIT",
		"manifest.webmanifest":               `{"name":"webapp"}`,
		"config.json":                        `{"apiBaseUrl":"http://dev"}`,
	}
	var refs []string
	for name := range files {
		if webassets.IsHashed(name) && !strings.HasSuffix(name, ".map") {
			refs = append(refs, fmt.Sprintf(`<link href="%s">`, name))
		}
	}
	slices.Sort(refs)
	files["index.html"] = "<!doctype html><html><head>" + strings.Join(refs, "") + "</head><body>" + version + "</body></html>"
	for name, content := range files {
		write(t, filepath.Join(dir, name), content)
	}
	return dir
}

// esbuildHash spells x as Angular's esbuild spells a content hash in a file
// name: 8 characters of base32.
func esbuildHash(x uint32) string {
	return base32.StdEncoding.EncodeToString([]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x), 0})[:8]
}

func crc(s string) uint32 {
	var x uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		x = (x ^ uint32(s[i])) * 16777619
	}
	return x
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var prodConfig = map[string][]byte{"config.json": []byte(webassets.ConfigJSON)}

func (s *site) deploy(t *testing.T, dir string, mod ...func(*s3sync.Options)) *s3sync.Result {
	t.Helper()
	res, err := s.try(context.Background(), dir, mod...)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return res
}

func (s *site) try(ctx context.Context, dir string, mod ...func(*s3sync.Options)) (*s3sync.Result, error) {
	opts := s3sync.Options{Bucket: bucket, Dir: dir, Extra: prodConfig, Owner: "test"}
	for _, m := range mod {
		m(&opts)
	}
	return s3sync.Deploy(ctx, s.client, opts)
}

// puts returns the keys of the site's files written through the proxy (the
// deploy's own records aside), in the order the writes started.
func (s *site) puts() []string {
	var keys []string
	for _, r := range s.proxy.Requests() {
		key := r.S3Key(bucket)
		if r.Method == http.MethodPut && key != "" && !strings.HasPrefix(key, ".empctl/") && r.Query.Get("partNumber") == "" {
			keys = append(keys, key)
		}
	}
	return keys
}

func (s *site) keys(t *testing.T) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.direct, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func (s *site) get(t *testing.T, key string) string {
	t.Helper()
	out, err := s.direct.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer func() { _ = out.Body.Close() }()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

var hrefs = regexp.MustCompile(`href="([^"]+)"`)

// checkIndexWhole fails unless every file the live index.html references exists.
func (s *site) checkIndexWhole(t *testing.T) {
	t.Helper()
	have := map[string]bool{}
	for _, k := range s.keys(t) {
		have[k] = true
	}
	for _, m := range hrefs.FindAllStringSubmatch(s.get(t, "index.html"), -1) {
		if !have[m[1]] {
			t.Errorf("the live index.html references %s, which is not in the bucket", m[1])
		}
	}
}

func TestMetadataForEachKindOfFile(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	res := s.deploy(t, dir)
	if res.Uploaded != res.Files || res.Files != 13 {
		t.Fatalf("uploaded %d of %d files, want all 13", res.Uploaded, res.Files)
	}
	for _, f := range res.Uploads {
		head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(f.Key)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(head.ContentType), webassets.ContentType(f.Key); got != want {
			t.Errorf("%s: Content-Type %q, want %q", f.Key, got, want)
		}
		if got, want := aws.ToString(head.CacheControl), webassets.CacheControl(f.Key); got != want {
			t.Errorf("%s: Cache-Control %q, want %q", f.Key, got, want)
		}
		if got := head.Metadata["sha256"]; got != f.SHA256 || len(got) != 64 {
			t.Errorf("%s: x-amz-meta-sha256 %q, want %q", f.Key, got, f.SHA256)
		}
	}
	// Spot checks that do not go through the function under test.
	for key, want := range map[string][2]string{
		"index.html":           {"text/html; charset=utf-8", "no-cache"},
		"config.json":          {"application/json", "no-cache"},
		"favicon.ico":          {"image/vnd.microsoft.icon", "no-cache"},
		"manifest.webmanifest": {"application/manifest+json", "no-cache"},
	} {
		head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != want[0] || aws.ToString(head.CacheControl) != want[1] {
			t.Errorf("%s: %q, %q; want %q, %q", key, aws.ToString(head.ContentType), aws.ToString(head.CacheControl), want[0], want[1])
		}
	}
	if got := s.get(t, "config.json"); got != webassets.ConfigJSON {
		t.Errorf("config.json = %q, want the environment's %q", got, webassets.ConfigJSON)
	}
	// Each PUT carries the hash for S3 to check the bytes against (real S3
	// refuses a mismatch; moto does not check), and signs with it.
	for _, r := range s.proxy.Requests() {
		if r.Method != http.MethodPut || r.S3Key(bucket) != "index.html" {
			continue
		}
		sum, _ := hex.DecodeString(r.Header.Get("X-Amz-Meta-Sha256"))
		if r.Header.Get("X-Amz-Checksum-Sha256") != base64.StdEncoding.EncodeToString(sum) || r.Header.Get("X-Amz-Content-Sha256") != r.Header.Get("X-Amz-Meta-Sha256") {
			t.Errorf("the PUT of index.html: checksum %q, content hash %q, metadata %q", r.Header.Get("X-Amz-Checksum-Sha256"), r.Header.Get("X-Amz-Content-Sha256"), r.Header.Get("X-Amz-Meta-Sha256"))
		}
	}
}

func TestUploadOrder(t *testing.T) {
	s := newSite(t)
	s.deploy(t, build(t, "v1"))
	s.proxy.Reset()
	s.deploy(t, build(t, "v2"), func(o *s3sync.Options) {
		o.Concurrency = 4
		o.Extra = map[string][]byte{"config.json": []byte(`{"apiBaseUrl":"/api/v2"}`)}
	})
	var assetsEnd, configStart, configEnd, indexStart int
	for _, r := range s.proxy.Requests() {
		key := r.S3Key(bucket)
		if r.Method != http.MethodPut || key == "" || strings.HasPrefix(key, ".empctl/") {
			continue
		}
		switch key {
		case "config.json":
			configStart, configEnd = r.Start, r.End
		case "index.html":
			indexStart = r.Start
		default:
			assetsEnd = max(assetsEnd, r.End)
		}
	}
	if assetsEnd == 0 || configStart == 0 || indexStart == 0 {
		t.Fatalf("missing uploads in %v", s.puts())
	}
	if !(assetsEnd < configStart && configEnd < indexStart) {
		t.Errorf("order: assets ended at %d, config.json ran %d-%d, index.html started at %d; want every asset done before config.json, and config.json before index.html",
			assetsEnd, configStart, configEnd, indexStart)
	}
}

func TestNoChangeUploadsNothing(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	s.deploy(t, dir)
	s.proxy.Reset()
	res := s.deploy(t, dir)
	if puts := s.puts(); len(puts) != 0 || res.Uploaded != 0 || !res.Live {
		t.Errorf("an identical deploy uploaded %v (result %d, live %v), want nothing", puts, res.Uploaded, res.Live)
	}
	for _, r := range s.proxy.Requests() {
		if (r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodDelete) && r.S3Key(bucket) != ".empctl/deploy.lock" {
			t.Errorf("an identical deploy sent %s %s", r.Method, r.Path)
		}
		if r.Method == http.MethodHead {
			t.Errorf("an identical deploy read metadata (%s): the manifest's ETags should have answered", r.Path)
		}
	}

	// A rebuild that rewrites every file with the same content: still nothing.
	if err := os.Chtimes(filepath.Join(dir, "index.html"), time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	s.proxy.Reset()
	if s.deploy(t, dir); len(s.puts()) != 0 {
		t.Errorf("a rebuild with the same contents uploaded %v", s.puts())
	}

	// One edited file (same size): only that one.
	write(t, filepath.Join(dir, "3rdpartylicenses.txt"), "BSD")
	s.proxy.Reset()
	res = s.deploy(t, dir)
	if puts := s.puts(); !slices.Equal(puts, []string{"3rdpartylicenses.txt"}) || res.Uploaded != 1 {
		t.Errorf("after a one-file edit uploaded %v, want only 3rdpartylicenses.txt", puts)
	}
	if !slices.Equal(res.Changed, []string{"3rdpartylicenses.txt"}) {
		t.Errorf("changed paths %v, want the edited file", res.Changed)
	}
}

func TestObjectWithoutHashCountsAsChanged(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	// favicon.ico is already there, with the same bytes, put by another tool.
	if _, err := s.direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("favicon.ico"), Body: strings.NewReader("ico")}); err != nil {
		t.Fatal(err)
	}
	res := s.deploy(t, dir)
	if !slices.Contains(s.puts(), "favicon.ico") || res.Unchanged != 0 {
		t.Errorf("an object without x-amz-meta-sha256 was not re-uploaded (puts %v)", s.puts())
	}
}

// TestIdenticalReuploadByAnotherTool: another tool (aws s3 sync) puts a file
// of the live release again, the same bytes, so the same ETag, but without
// the hash, Content-Type and Cache-Control: the next deploy repairs it.
func TestIdenticalReuploadByAnotherTool(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	r1 := s.deploy(t, dir)
	manifest := ".empctl/releases/" + r1.Release + ".json"
	modified := func(key string) time.Time {
		head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToTime(head.LastModified)
	}
	etag := func(key string) string {
		head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(head.ETag)
	}
	// S3 dates objects to the second: the re-upload must come in a later
	// second than the manifest for anything to tell them apart.
	time.Sleep(time.Until(modified(manifest).Add(time.Second + 100*time.Millisecond)))
	before := etag("favicon.ico")
	if _, err := s.direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("favicon.ico"),
		Body: strings.NewReader("ico"), ContentType: aws.String("binary/octet-stream")}); err != nil {
		t.Fatal(err)
	}
	if etag("favicon.ico") != before || !modified("favicon.ico").After(modified(manifest)) {
		t.Fatalf("the re-upload has ETag %s (was %s), dated %v (the manifest %v): want the same ETag, later", etag("favicon.ico"), before, modified("favicon.ico"), modified(manifest))
	}

	s.proxy.Reset()
	res := s.deploy(t, dir)
	if puts := s.puts(); !slices.Equal(puts, []string{"favicon.ico"}) || res.Live {
		t.Errorf("the deploy after the re-upload uploaded %v, want favicon.ico", puts)
	}
	head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("favicon.ico")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "image/vnd.microsoft.icon" || aws.ToString(head.CacheControl) != "no-cache" || len(head.Metadata["sha256"]) != 64 {
		t.Errorf("favicon.ico after the deploy: Content-Type %q, Cache-Control %q, metadata %v", aws.ToString(head.ContentType), aws.ToString(head.CacheControl), head.Metadata)
	}
	// Only the re-uploaded object's metadata was read.
	for _, r := range s.proxy.Requests() {
		if r.Method == http.MethodHead && r.S3Key(bucket) != "favicon.ico" {
			t.Errorf("the deploy read the metadata of %s, which nothing rewrote", r.S3Key(bucket))
		}
	}

	// Repaired: the next deploy trusts the record again.
	s.proxy.Reset()
	if res := s.deploy(t, dir); !res.Live || len(s.puts()) != 0 {
		t.Errorf("the deploy after the repair: live %v, uploaded %v", res.Live, s.puts())
	}
}

// TestListingInRanges: the bucket is listed in ranges at once, split at the
// local files' keys or at the last listing's; however many objects a range
// holds, the listing finds each once.
func TestListingInRanges(t *testing.T) {
	defer s3sync.SetListRanges(3, 1)()
	s := newSite(t)
	cache := filepath.Join(t.TempDir(), "hashes.json")
	withCache := func(o *s3sync.Options) { o.HashCache = cache }
	dir := build(t, "v1")
	r1 := s.deploy(t, dir, withCache)
	if r1.Uploaded != 13 {
		t.Fatalf("uploaded %d files, want 13", r1.Uploaded)
	}
	// Objects of another tool in every range, more than a range asks for.
	var extra []string
	for _, k := range s.keys(t) {
		for i := range 5 {
			if !strings.HasPrefix(k, ".empctl/") {
				extra = append(extra, fmt.Sprintf("%s.other%d", k, i))
			}
		}
	}
	for _, k := range extra {
		if _, err := s.direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	for i, mod := range [][]func(*s3sync.Options){{withCache}, {withCache}, nil} {
		s.proxy.Reset()
		res := s.deploy(t, dir, mod...)
		if !res.Live || res.Unchanged != 13 || res.Untracked != len(extra) || len(s.puts()) != 0 {
			t.Errorf("deploy %d: live %v, %d unchanged, %d untracked, uploaded %v; want live, 13, %d, none", i+2, res.Live, res.Unchanged, res.Untracked, s.puts(), len(extra))
		}
		lists := 0
		for _, r := range s.proxy.Requests() {
			if r.Method == http.MethodGet && r.Query.Has("list-type") && r.Query.Get("prefix") == "" && r.Query.Get("continuation-token") == "" {
				lists++
			}
		}
		if lists < 3 {
			t.Errorf("deploy %d listed the bucket in %d ranges, want several", i+2, lists)
		}
	}
}

func TestRetention(t *testing.T) {
	s := newSite(t)
	keep := func(o *s3sync.Options) { o.Keep = 2 }
	v1 := build(t, "v1")
	r1 := s.deploy(t, v1, keep)
	s.deploy(t, build(t, "v2"), keep)
	v1Assets := hashedKeys(r1)
	for _, k := range v1Assets {
		if !slices.Contains(s.keys(t), k) {
			t.Fatalf("v1's %s was deleted while v1 is within the last 2 releases", k)
		}
	}
	s.proxy.Reset()
	r3 := s.deploy(t, build(t, "v3"), keep)
	slices.Sort(v1Assets)
	if !slices.Equal(r3.Deletions, v1Assets) || r3.Deleted != len(v1Assets) {
		t.Errorf("the third deploy deleted %v, want v1's hashed files %v", r3.Deletions, v1Assets)
	}
	keys := s.keys(t)
	for _, k := range v1Assets {
		if slices.Contains(keys, k) {
			t.Errorf("v1's %s is still there past the retention window", k)
		}
	}
	// Deletions come after index.html is live.
	var indexEnd, firstDelete int
	for _, r := range s.proxy.Requests() {
		if r.Method == http.MethodPut && r.S3Key(bucket) == "index.html" {
			indexEnd = r.End
		}
		if r.Method == http.MethodPost && r.Query.Has("delete") && firstDelete == 0 {
			firstDelete = r.Start
		}
	}
	if firstDelete == 0 || indexEnd == 0 || firstDelete < indexEnd {
		t.Errorf("first delete started at %d, index.html finished at %d: want deletions after index.html is live", firstDelete, indexEnd)
	}
	s.checkIndexWhole(t)
	if n := countPrefix(keys, ".empctl/releases/"); n != 2 {
		t.Errorf("%d release manifests remain, want 2", n)
	}
}

// TestInterruptedDeploysTakeNoPlaceInTheWindow: deploys cut before their
// index.html went live leave manifests of releases nobody loaded; they must
// not push the release that was live out of the retention window.
func TestInterruptedDeploysTakeNoPlaceInTheWindow(t *testing.T) {
	s := newSite(t)
	keep := func(o *s3sync.Options) { o.Keep = 2 }
	s.deploy(t, build(t, "v1"), keep)
	live := s.deploy(t, build(t, "v2"), keep)

	// Two deploys of other builds, each cut at its first asset PUT.
	var cutAssets []string
	for _, v := range []string{"v3", "v4"} {
		ctx, cancel := context.WithCancel(context.Background())
		var once sync.Once
		s.proxy.SetHook(func(r *http.Request) (int, string) {
			key := strings.TrimPrefix(r.URL.Path, "/"+bucket+"/")
			if r.Method == http.MethodPut && !strings.HasPrefix(key, ".empctl/") {
				once.Do(cancel)
			}
			return 0, ""
		})
		dir := build(t, v)
		if _, err := s.try(ctx, dir, keep); !errors.Is(err, context.Canceled) {
			t.Fatalf("the deploy of %s, cut: %v", v, err)
		}
		s.proxy.SetHook(nil)
		cancel()
		for _, k := range s.keys(t) {
			if webassets.IsHashed(k) && strings.Contains(s.get(t, k), v) {
				cutAssets = append(cutAssets, k)
			}
		}
	}
	if n := countPrefix(s.keys(t), ".empctl/releases/"); n != 4 {
		t.Fatalf("%d release manifests before the next deploy, want 4 (v1, v2 and the two cut ones)", n)
	}

	// The next deploy with --keep 2: v2, the release live until now, keeps
	// its files; v1 is past the window; the cut deploys' files go.
	res := s.deploy(t, build(t, "v5"), keep)
	keys := s.keys(t)
	for _, k := range hashedKeys(live) {
		if !slices.Contains(keys, k) {
			t.Errorf("%s of the release live before this deploy was deleted (deleted: %v)", k, res.Deletions)
		}
	}
	for _, k := range cutAssets {
		if slices.Contains(keys, k) {
			t.Errorf("%s, uploaded by a cut deploy that never went live, is still there", k)
		}
	}
	if slices.Contains(keys, ".empctl/releases/"+live.Release+".json") == false || countPrefix(keys, ".empctl/releases/") != 2 {
		t.Errorf("release manifests left: %v; want v5's and v2's", keys)
	}
	s.checkIndexWhole(t)
	s.checkRecorded(t)
}

// TestDeployCutAfterIndexCountsAsLive: a deploy cut after its index.html
// went up but before its manifest said so served browsers: the next deploy
// keeps its files as those of a live release.
func TestDeployCutAfterIndexCountsAsLive(t *testing.T) {
	s := newSite(t)
	keep := func(o *s3sync.Options) { o.Keep = 2 }
	s.deploy(t, build(t, "v1"), keep)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/.empctl/releases/") && r.Header.Get("If-Match") != "" {
			cancel() // the published manifest never lands
			return http.StatusServiceUnavailable, testenv.AWSError("SlowDown", "cut by the test")
		}
		return 0, ""
	})
	v2 := build(t, "v2")
	if _, err := s.try(ctx, v2, keep); err == nil {
		t.Fatal("the cut deploy succeeded")
	}
	s.proxy.SetHook(nil)
	if !strings.Contains(s.get(t, "index.html"), "v2") {
		t.Fatal("the deploy was cut before its index.html went up")
	}
	var v2Assets []string
	for _, k := range s.keys(t) {
		if webassets.IsHashed(k) && strings.Contains(s.get(t, k), "v2") {
			v2Assets = append(v2Assets, k)
		}
	}

	res := s.deploy(t, build(t, "v3"), keep)
	keys := s.keys(t)
	for _, k := range v2Assets {
		if !slices.Contains(keys, k) {
			t.Errorf("%s of v2, whose index.html was live, was deleted (deleted: %v)", k, res.Deletions)
		}
	}
	if len(res.Deletions) == 0 {
		t.Error("v1's files were kept: v3 and v2 fill a window of 2")
	}
	s.checkIndexWhole(t)
	s.checkRecorded(t)
}

// TestPendingInvalidation: keys whose invalidation failed stay pending on the
// live release, and the next deploy, of another build or of the same one,
// passes them to Invalidate again, until a call succeeds.
func TestPendingInvalidation(t *testing.T) {
	s := newSite(t)
	var calls [][]string
	var fail error
	invalidate := func(o *s3sync.Options) {
		o.Invalidate = func(_ context.Context, _ string, keys []string) error {
			calls = append(calls, keys)
			return fail
		}
	}
	dir := build(t, "v1")
	s.deploy(t, dir, invalidate)

	// favicon.ico changes; its invalidation fails.
	write(t, filepath.Join(dir, "favicon.ico"), "ICO2")
	fail = errors.New("CloudFront is down")
	calls = nil
	if _, err := s.try(context.Background(), dir, invalidate); !errors.Is(err, fail) {
		t.Fatalf("the deploy returned %v, want Invalidate's error", err)
	}
	if m, err := s3sync.Live(context.Background(), s.direct, bucket); err != nil || !slices.Equal(m.Pending, []string{"favicon.ico"}) {
		t.Fatalf("live release %+v (%v), want favicon.ico pending", m, err)
	}

	// Another build that keeps favicon.ico: it is still invalidated.
	write(t, filepath.Join(dir, "3rdpartylicenses.txt"), "BSD")
	fail, calls = nil, nil
	s.deploy(t, dir, invalidate)
	if len(calls) != 1 || !slices.Equal(calls[0], []string{"3rdpartylicenses.txt", "favicon.ico"}) {
		t.Errorf("Invalidate got %v, want the edited file and the pending one", calls)
	}
	if m, err := s3sync.Live(context.Background(), s.direct, bucket); err != nil || len(m.Pending) != 0 {
		t.Errorf("live release %+v (%v), want nothing pending", m, err)
	}

	// Nothing pending, nothing changed: no call, no write.
	calls = nil
	s.proxy.Reset()
	if res := s.deploy(t, dir, invalidate); !res.Live || len(calls) != 0 {
		t.Errorf("a no-change deploy: live %v, Invalidate got %v", res.Live, calls)
	}
	for _, r := range s.proxy.Requests() {
		if r.Method != http.MethodGet && r.S3Key(bucket) != ".empctl/deploy.lock" {
			t.Errorf("a no-change deploy sent %s %s", r.Method, r.Path)
		}
	}
}

func hashedKeys(r *s3sync.Result) []string {
	var keys []string
	for _, f := range r.Uploads {
		if webassets.IsHashed(f.Key) {
			keys = append(keys, f.Key)
		}
	}
	return keys
}

func countPrefix(keys []string, prefix string) int {
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

func TestInterruptedDeployKeepsSiteWholeAndRerunCompletes(t *testing.T) {
	s := newSite(t)
	s.deploy(t, build(t, "v1"), func(o *s3sync.Options) { o.Keep = 1 })
	oldIndex := s.get(t, "index.html")

	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		key := strings.TrimPrefix(r.URL.Path, "/"+bucket+"/")
		if r.Method == http.MethodPut && !strings.HasPrefix(key, ".empctl/") {
			once.Do(cancel) // the first asset PUT: the deploy is cut here
		}
		return 0, ""
	})
	v2 := build(t, "v2")
	_, err := s.try(ctx, v2, func(o *s3sync.Options) { o.Keep = 1 })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the cut deploy returned %v, want context.Canceled", err)
	}
	s.proxy.SetHook(nil)
	if got := s.get(t, "index.html"); got != oldIndex {
		t.Fatal("index.html changed although the deploy was cut during the assets")
	}
	s.checkIndexWhole(t)

	res := s.deploy(t, v2, func(o *s3sync.Options) { o.Keep = 1 })
	if res.Uploaded == 0 || !strings.Contains(s.get(t, "index.html"), "v2") {
		t.Fatalf("the rerun did not complete: %+v", res)
	}
	s.checkIndexWhole(t)
}

func TestSecondDeployRefusedWhileLocked(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	ctx := context.Background()
	release := make(chan struct{})
	inside := make(chan struct{})
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html") {
			once.Do(func() { close(inside); <-release })
		}
		return 0, ""
	})
	first := make(chan error, 1)
	go func() { _, err := s.try(ctx, dir, func(o *s3sync.Options) { o.Owner = "alice@laptop" }); first <- err }()
	<-inside
	_, err := s.try(ctx, dir, func(o *s3sync.Options) { o.Owner = "bob@ci" })
	close(release)
	if !errors.Is(err, s3sync.ErrLocked) || !strings.Contains(err.Error(), "alice@laptop") {
		t.Errorf("the second deploy returned %v, want ErrLocked naming alice@laptop", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("the first deploy: %v", err)
	}
	s.proxy.SetHook(nil)
	if slices.Contains(s.keys(t), ".empctl/deploy.lock") {
		t.Error("the lock is still there after the deploy")
	}
	s.deploy(t, dir) // the lock is free again
}

func TestDryRunChangesNothing(t *testing.T) {
	s := newSite(t)
	s.deploy(t, build(t, "v1"), func(o *s3sync.Options) { o.Keep = 1 })
	before := s.keys(t)
	s.proxy.Reset()
	res := s.deploy(t, build(t, "v2"), func(o *s3sync.Options) { o.Keep = 1; o.DryRun = true })
	for _, r := range s.proxy.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("a dry run sent %s %s", r.Method, r.Path)
		}
	}
	if !slices.Equal(s.keys(t), before) {
		t.Error("a dry run changed the bucket")
	}
	if !res.DryRun || len(res.Uploads) != 9 || res.UploadBytes == 0 || len(res.Deletions) != 8 || res.DeleteBytes == 0 {
		t.Errorf("plan: %d uploads (%d bytes), %d deletions (%d bytes); want 9 uploads (8 hashed files and index.html) and v1's 8 hashed files deleted",
			len(res.Uploads), res.UploadBytes, len(res.Deletions), res.DeleteBytes)
	}
	if !slices.Equal(res.Changed, []string{"index.html"}) {
		t.Errorf("changed paths %v, want [index.html]", res.Changed)
	}
}

func TestBadInput(t *testing.T) {
	s := newSite(t)
	live := build(t, "v1")
	s.deploy(t, live, func(o *s3sync.Options) { o.Keep = 1 })
	before := s.keys(t)
	empty := t.TempDir()
	for name, tc := range map[string]struct {
		dir    string
		bucket string
		deny   bool
		want   error
		words  string
	}{
		"missing dist":   {dir: filepath.Join(empty, "dist"), want: s3sync.ErrNoBuild, words: "does not exist"},
		"empty dist":     {dir: empty, want: s3sync.ErrNoBuild, words: "no index.html"},
		"missing bucket": {bucket: "no-such-bucket", want: s3sync.ErrNoBucket, words: "webapp_bucket"},
		"access denied":  {deny: true, want: s3sync.ErrAccessDenied, words: "s3:PutObject"},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.deny {
				s.proxy.SetHook(func(*http.Request) (int, string) {
					return http.StatusForbidden, testenv.AWSError("AccessDenied", "Access Denied")
				})
				defer s.proxy.SetHook(nil)
			}
			dir := tc.dir
			if dir == "" {
				dir = build(t, "v2")
			}
			_, err := s.try(context.Background(), dir, func(o *s3sync.Options) {
				o.Keep = 1
				if tc.bucket != "" {
					o.Bucket = tc.bucket
				}
			})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("got %v, want %v saying %q", err, tc.want, tc.words)
			}
		})
	}
	if after := s.keys(t); !slices.Equal(after, before) {
		t.Errorf("the bucket changed: %v, was %v", after, before)
	}
}

func TestMultipartForLargeFiles(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	big := make([]byte, 20<<20) // over the transfer manager's 16 MiB threshold
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(dir, "media", "video-ABCDEF23.webp"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	s.deploy(t, dir)
	parts := 0
	for _, r := range s.proxy.Requests() {
		if r.Method == http.MethodPut && r.Query.Get("partNumber") != "" {
			parts++
		}
	}
	if parts < 2 {
		t.Errorf("a 20 MiB file went up in %d parts, want a multipart upload", parts)
	}
	s.proxy.Reset()
	if s.deploy(t, dir); len(s.puts()) != 0 {
		t.Errorf("the second deploy uploaded %v: a multipart object's ETag should match its manifest entry", s.puts())
	}
	head, err := s.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("media/video-ABCDEF23.webp")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(big)) || head.Metadata["sha256"] == "" {
		t.Errorf("the large object: %v, %d bytes, metadata %v", err, aws.ToInt64(head.ContentLength), head.Metadata)
	}
}

func TestLiveRelease(t *testing.T) {
	s := newSite(t)
	if _, err := s3sync.Live(context.Background(), s.client, bucket); !errors.Is(err, s3sync.ErrNoRelease) {
		t.Errorf("an empty bucket: %v, want ErrNoRelease", err)
	}
	res := s.deploy(t, build(t, "v1"))
	m, err := s3sync.Live(context.Background(), s.client, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if m.Release != res.Release || len(m.Files) != res.Files || m.Published == nil {
		t.Errorf("live release %s with %d files, want %s with %d", m.Release, len(m.Files), res.Release, res.Files)
	}
}

func TestLeftoverLocks(t *testing.T) {
	s := newSite(t)
	dir := build(t, "v1")
	host, _ := os.Hostname()
	now := time.Now().UTC()
	putLock := func(owner, host string, pid int, expires time.Time) {
		body := fmt.Sprintf(`{"owner":%q,"host":%q,"pid":%d,"acquired":%q,"expires":%q}`, owner, host, pid,
			now.Add(-time.Hour).Format(time.RFC3339), expires.Format(time.RFC3339))
		if _, err := s.direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(".empctl/deploy.lock"), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// A live deploy elsewhere: refused, naming it and when its lock expires.
	putLock("carol@ci", "another-host", 1, now.Add(10*time.Minute))
	if _, err := s.try(context.Background(), dir); !errors.Is(err, s3sync.ErrLocked) || !strings.Contains(err.Error(), "carol@ci") || !strings.Contains(err.Error(), "expires at") {
		t.Errorf("a held lock: %v", err)
	}
	// A live process on this machine (this one): refused too.
	putLock("me@here", host, os.Getpid(), now.Add(10*time.Minute))
	if _, err := s.try(context.Background(), dir); !errors.Is(err, s3sync.ErrLocked) {
		t.Errorf("a lock of a running process here: %v", err)
	}
	// Expired: taken over.
	putLock("carol@ci", "another-host", 1, now.Add(-time.Minute))
	if _, err := s.try(context.Background(), dir); err != nil {
		t.Errorf("an expired lock was not taken over: %v", err)
	}
	// Left by a process of this machine that was killed: taken over at once.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	putLock("me@here", host, dead.Process.Pid, now.Add(10*time.Minute))
	if _, err := s.try(context.Background(), build(t, "v2")); err != nil {
		t.Errorf("the lock of a killed deploy on this machine was not taken over: %v", err)
	}
}

func TestLongDeployKeepsItsLock(t *testing.T) {
	s := newSite(t)
	const ttl = 900 * time.Millisecond
	renewed := make(chan struct{}, 100)
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		switch {
		case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/.empctl/deploy.lock") && r.Header.Get("If-Match") != "":
			renewed <- struct{}{}
		case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html"):
			// Stall the deploy until its lock has been renewed twice:
			// longer than the lock's first expiry.
			once.Do(func() {
				for range 2 {
					select {
					case <-renewed:
					case <-time.After(time.Minute):
						t.Error("the lock was not renewed within a minute")
						return
					}
				}
			})
		}
		return 0, ""
	})
	if _, err := s.try(context.Background(), build(t, "v1"), func(o *s3sync.Options) { o.LockTTL = ttl }); err != nil {
		t.Fatalf("a deploy that outlived its lock's first expiry: %v", err)
	}
	if slices.Contains(s.keys(t), ".empctl/deploy.lock") {
		t.Error("the renewed lock was not released")
	}
}

func TestLostLockStopsTheDeploy(t *testing.T) {
	s := newSite(t)
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html") {
			once.Do(func() {
				// Another deploy takes the lock over (as after an expiry),
				// and this one stalls until it notices.
				if _, err := s.direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(".empctl/deploy.lock"),
					Body: strings.NewReader(`{"owner":"dave@ci"}`)}); err != nil {
					t.Error(err)
				}
				// With the body read, the server notices when the client
				// gives up the request.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-time.After(time.Minute):
					t.Error("the deploy did not notice its lost lock within a minute")
				}
			})
			return http.StatusServiceUnavailable, testenv.AWSError("SlowDown", "stalled by the test")
		}
		return 0, ""
	})
	_, err := s.try(context.Background(), build(t, "v1"), func(o *s3sync.Options) { o.LockTTL = 600 * time.Millisecond })
	if !errors.Is(err, s3sync.ErrLockLost) {
		t.Fatalf("got %v, want ErrLockLost", err)
	}
	if got := s.get(t, ".empctl/deploy.lock"); !strings.Contains(got, "dave@ci") {
		t.Errorf("the deploy that lost its lock removed the other's: %q", got)
	}
}

func TestRedeployOfAnOlderBuild(t *testing.T) {
	s := newSite(t)
	keep := func(o *s3sync.Options) { o.Keep = 2 }
	v1, v2 := build(t, "v1"), build(t, "v2")
	r1 := s.deploy(t, v1, keep)
	r2 := s.deploy(t, v2, keep)

	// Back to v1 (its assets are still there): only index.html goes up.
	s.proxy.Reset()
	r := s.deploy(t, v1, keep)
	if puts := s.puts(); !slices.Equal(puts, []string{"index.html"}) || r.Release != r1.Release || len(r.Deletions) != 0 {
		t.Errorf("redeploying v1 uploaded %v and deleted %v, want only index.html and nothing", puts, r.Deletions)
	}
	if m, err := s3sync.Live(context.Background(), s.client, bucket); err != nil || m.Release != r1.Release {
		t.Errorf("live release %v (%v), want v1's %s", m, err, r1.Release)
	}

	// v1 is now the newest release, v2 the one before: a new build expires
	// v2's files, not v1's.
	r3 := s.deploy(t, build(t, "v3"), keep)
	want := hashedKeys(r2)
	slices.Sort(want)
	if !slices.Equal(r3.Deletions, want) {
		t.Errorf("deleted %v, want v2's assets %v", r3.Deletions, want)
	}
	s.checkIndexWhole(t)
}

// S3 answers 409 ConditionalRequestConflict to a conditional write while
// another one on the same key is in flight (a second deploy's acquire): the
// lock's renewal and release read the lock again and retry, rather than
// stopping the deploy as if the lock were lost, or leaving it to expire.
func TestLockConflictIsRetried(t *testing.T) {
	conflict := testenv.AWSError("ConditionalRequestConflict", "A conflicting conditional operation is currently in progress against this resource. Please try again.")
	isLock := func(r *http.Request, method string) bool {
		return r.Method == method && strings.HasSuffix(r.URL.Path, "/.empctl/deploy.lock") && r.Header.Get("If-Match") != ""
	}
	t.Run("Renewal", func(t *testing.T) {
		s := newSite(t)
		renewed := make(chan struct{}, 100)
		var conflicts atomic.Int32
		var once sync.Once
		s.proxy.SetHook(func(r *http.Request) (int, string) {
			switch {
			case isLock(r, http.MethodPut):
				if conflicts.Add(1) == 1 {
					return http.StatusConflict, conflict
				}
				renewed <- struct{}{}
			case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html"):
				// Stall the deploy past its lock's first expiry, until a
				// renewal got through after the conflict.
				once.Do(func() {
					select {
					case <-renewed:
					case <-time.After(time.Minute):
						t.Error("the lock was not renewed within a minute after a 409")
					}
				})
			}
			return 0, ""
		})
		if _, err := s.try(context.Background(), build(t, "v1"), func(o *s3sync.Options) { o.LockTTL = 900 * time.Millisecond }); err != nil {
			t.Fatalf("a deploy whose lock renewal met one 409: %v", err)
		}
		if conflicts.Load() < 2 {
			t.Errorf("%d renewals; want the one answered 409 retried", conflicts.Load())
		}
		if slices.Contains(s.keys(t), ".empctl/deploy.lock") {
			t.Error("the lock was not released")
		}
	})
	t.Run("Release", func(t *testing.T) {
		s := newSite(t)
		var conflicts atomic.Int32
		s.proxy.SetHook(func(r *http.Request) (int, string) {
			if isLock(r, http.MethodDelete) && conflicts.Add(1) == 1 {
				return http.StatusConflict, conflict
			}
			return 0, ""
		})
		s.deploy(t, build(t, "v1"))
		if conflicts.Load() != 2 {
			t.Errorf("%d conditional deletes of the lock; want the one answered 409 retried once", conflicts.Load())
		}
		if slices.Contains(s.keys(t), ".empctl/deploy.lock") {
			t.Error("the release met a 409 and left the lock to expire")
		}
	})
}

// DeleteObjects answers 200 with an error per key it did not delete: an
// AccessDenied there (s3:DeleteObject missing) surfaces as ErrAccessDenied
// with the permissions a deploy needs, like any other refusal.
func TestPerKeyAccessDeniedInDeleteObjects(t *testing.T) {
	s := newSite(t)
	keep := func(o *s3sync.Options) { o.Keep = 1 }
	s.deploy(t, build(t, "v1"), keep)
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPost && r.URL.Query().Has("delete") {
			return http.StatusOK, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
				`<Error><Key>main-OLD.js</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`
		}
		return 0, ""
	})
	_, err := s.try(context.Background(), build(t, "v2"), keep)
	if !errors.Is(err, s3sync.ErrAccessDenied) || !strings.Contains(err.Error(), "deleting main-OLD.js") ||
		!strings.Contains(err.Error(), "s3:DeleteObject and s3:AbortMultipartUpload") {
		t.Errorf("got %v; want ErrAccessDenied for main-OLD.js naming the permissions", err)
	}
}
