package awsenv_test

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
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
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/empctl/empctl/pkg/awsenv/awsenvtest"
	"github.com/empctl/empctl/pkg/cmd/root"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/resolve"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/pkg/webassets"
)

// stage is a provisioned environment in moto, reached by empctl through a
// recording proxy (AWS_ENDPOINT_URL points at it), with a webapp build in
// the project's webapp/dist.
type stage struct {
	f      *awsenvtest.Fixture
	proxy  *testenv.AWSProxy
	s3     *s3.Client // straight to moto, for the test's checks
	cf     *cloudfront.Client
	dist   string
	bucket string
}

func newStage(t *testing.T) *stage {
	t.Helper()
	f := awsenvtest.Provision(t, awsenvtest.Options{})
	proxy := testenv.NewAWSProxy(t, f.Endpoint)
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
	// The identity check goes straight to moto: the proxy sees the deploy's own calls.
	t.Setenv("AWS_ENDPOINT_URL_STS", f.Endpoint)
	return &stage{
		f: f, proxy: proxy, bucket: f.Outputs.WebappBucket,
		s3: s3.NewFromConfig(f.Config, func(o *s3.Options) { o.BaseEndpoint = aws.String(f.Endpoint); o.UsePathStyle = true }),
		cf: cloudfront.NewFromConfig(f.Config, func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(f.Endpoint) }),
		// Where `make -C webapp build` leaves it (local.WebappDist).
		dist: filepath.Join(f.Dir, "webapp", "dist", "webapp", "browser"),
	}
}

type run struct {
	out, errOut string
	err         error
	code        int
}

// empctl runs the empctl command line in-process, as main does.
func (s *stage) empctl(ctx context.Context, args ...string) run {
	return s.empctlIn(ctx, s.f.Dir, args...)
}

// empctlIn runs it on the project in dir.
func (s *stage) empctlIn(ctx context.Context, dir string, args ...string) run {
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Global: &cmdutil.GlobalOptions{Env: resolve.Local, Output: cmdutil.OutputText, Dir: "."}}
	f.Environment = func() (env.Environment, error) { return resolve.Environment(f.Global.Env, f.Global.Dir) }
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(append([]string{"--dir", dir, "--env", awsenvtest.EnvName}, args...))
	err := cmd.ExecuteContext(ctx)
	return run{out: out.String(), errOut: errOut.String(), err: err, code: cmdutil.ExitCode(err)}
}

func (s *stage) deploy(t *testing.T, args ...string) run {
	t.Helper()
	r := s.empctl(context.Background(), append([]string{"deploy", "frontend", "--no-build"}, args...)...)
	if r.code != 0 {
		t.Fatalf("empctl deploy frontend %v: exit %d: %v\n%s%s", args, r.code, r.err, r.out, r.errOut)
	}
	return r
}

// build writes a webapp build whose hashed names and contents depend on
// version, replacing the last one.
func (s *stage) build(t *testing.T, version string) {
	t.Helper()
	if err := os.RemoveAll(s.dist); err != nil {
		t.Fatal(err)
	}
	h := func(name string) string {
		x := uint32(2166136261)
		for _, c := range name + version {
			x = (x ^ uint32(c)) * 16777619
		}
		// 8 characters of base32, as Angular's esbuild names files.
		return base32.StdEncoding.EncodeToString([]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x), 0})[:8]
	}
	// One file of each kind the Angular build emits: 9 content-hashed, and
	// favicon.ico, 3rdpartylicenses.txt, manifest.webmanifest, config.json
	// (replaced by the environment's) and index.html.
	hashed := map[string]string{
		"main-" + h("main") + ".js":           "console.log('" + version + "')",
		"main-" + h("main") + ".js.map":       `{"version":3,"file":"` + version + `"}`,
		"chunk-" + h("chunk") + ".js":         "export const v='" + version + "'",
		"chunk-" + h("lazy") + ".mjs":         "export const lazy='" + version + "'",
		"styles-" + h("styles") + ".css":      "body{}/*" + version + "*/",
		"media/logo-" + h("logo") + ".svg":    "<svg>" + version + "</svg>",
		"media/photo-" + h("png") + ".png":    "png " + version,
		"media/photo-" + h("webp") + ".webp":  "webp " + version,
		"media/inter-" + h("font") + ".woff2": "woff2 " + version,
	}
	files := map[string]string{
		"favicon.ico":          "ico",
		"3rdpartylicenses.txt": "MIT",
		"manifest.webmanifest": `{"name":"webapp"}`,
		"config.json":          `{ "apiBaseUrl": "http://localhost:8080/api" }`,
	}
	var refs []string
	for name, content := range hashed {
		files[name] = content
		refs = append(refs, `<link href="`+name+`">`)
	}
	slices.Sort(refs)
	files["index.html"] = "<!doctype html><html><head>" + strings.Join(refs, "") + "</head><body>" + version + "</body></html>"
	for name, content := range files {
		p := filepath.Join(s.dist, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *stage) keys(t *testing.T) []string {
	t.Helper()
	out, err := s.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func (s *stage) get(t *testing.T, key string) string {
	t.Helper()
	out, err := s.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer func() { _ = out.Body.Close() }()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// puts are the site files written through the proxy, in the order they started.
func (s *stage) puts() []string {
	var keys []string
	for _, r := range s.proxy.Requests() {
		if key := r.S3Key(s.bucket); r.Method == http.MethodPut && key != "" && !strings.HasPrefix(key, ".empctl/") {
			keys = append(keys, key)
		}
	}
	return keys
}

func (s *stage) lastInvalidationPaths(t *testing.T, id string) []string {
	t.Helper()
	inv, err := s.cf.GetInvalidation(context.Background(), &cloudfront.GetInvalidationInput{DistributionId: aws.String(s.f.Outputs.CloudFrontDistributionID), Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	paths := slices.Clone(inv.Invalidation.InvalidationBatch.Paths.Items)
	slices.Sort(paths)
	return paths
}

// checkMetadata checks the Content-Type and Cache-Control of every file in
// the bucket, and that the build had every kind of file.
func (s *stage) checkMetadata(t *testing.T) {
	t.Helper()
	types := map[string]string{
		".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
		".html": "text/html; charset=utf-8", ".json": "application/json", ".map": "application/json",
		".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".ico": "image/vnd.microsoft.icon",
		".png": "image/png", ".webp": "image/webp", ".woff2": "font/woff2", ".txt": "text/plain; charset=utf-8",
	}
	unhashed := []string{"index.html", "config.json", "favicon.ico", "3rdpartylicenses.txt", "manifest.webmanifest"}
	seen := map[string]bool{}
	for _, k := range s.keys(t) {
		if strings.HasPrefix(k, ".empctl/") {
			continue
		}
		head, err := s.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		ext := filepath.Ext(k)
		seen[ext] = true
		cache := "public, max-age=31536000, immutable"
		if slices.Contains(unhashed, k) {
			cache = "no-cache"
		}
		if got := aws.ToString(head.ContentType); got != types[ext] {
			t.Errorf("%s: Content-Type %q, want %q", k, got, types[ext])
		}
		if got := aws.ToString(head.CacheControl); got != cache {
			t.Errorf("%s: Cache-Control %q, want %q", k, got, cache)
		}
		if len(head.Metadata["sha256"]) != 64 {
			t.Errorf("%s: x-amz-meta-sha256 %q", k, head.Metadata["sha256"])
		}
	}
	for ext := range types {
		if !seen[ext] {
			t.Errorf("no %s file in the bucket: the test build lacks a kind of file", ext)
		}
	}
}

var hrefs = regexp.MustCompile(`href="([^"]+)"`)

// checkIndexWhole fails unless every file the live index.html references exists.
func (s *stage) checkIndexWhole(t *testing.T) {
	t.Helper()
	keys := s.keys(t)
	for _, m := range hrefs.FindAllStringSubmatch(s.get(t, "index.html"), -1) {
		if !slices.Contains(keys, m[1]) {
			t.Errorf("the live index.html references %s, which is not in the bucket", m[1])
		}
	}
}

func summary(t *testing.T, r run) env.Frontend {
	t.Helper()
	var fe env.Frontend
	if err := json.Unmarshal([]byte(r.out), &fe); err != nil {
		t.Fatalf("-o json printed no summary: %v\n%s", err, r.out)
	}
	return fe
}

func TestDeployFrontend(t *testing.T) {
	s := newStage(t)
	s.build(t, "v1")

	// First deploy: every file, with its metadata; the unhashed files
	// invalidated and waited for.
	r := s.deploy(t, "-o", "json")
	fe := summary(t, r)
	if fe.Uploaded != 14 || fe.Files != 14 || fe.Invalidation == "" || fe.Seconds <= 0 {
		t.Fatalf("summary %+v, want 14 files uploaded and an invalidation", fe)
	}
	if got, want := s.lastInvalidationPaths(t, fe.Invalidation), []string{"/", "/3rdpartylicenses.txt", "/config.json", "/favicon.ico", "/index.html", "/manifest.webmanifest"}; !slices.Equal(got, want) {
		t.Errorf("invalidated %v, want %v", got, want)
	}
	if !strings.Contains(r.errOut, "invalidation "+fe.Invalidation+" completed") {
		t.Errorf("progress did not show the wait for the invalidation:\n%s", r.errOut)
	}
	if got := s.get(t, "config.json"); got != webassets.ConfigJSON {
		t.Errorf("config.json = %q, want the AWS environment's %q", got, webassets.ConfigJSON)
	}
	if _, err := os.Stat(filepath.Join(config.EnvDir(s.f.Dir, awsenvtest.EnvName), "webapp-hashes.json")); err != nil {
		t.Errorf("no hash cache for the next deploy: %v", err)
	}
	s.checkMetadata(t)
	// An identical deploy: no file, no invalidation.
	s.proxy.Reset()
	r = s.deploy(t)
	if puts := s.puts(); len(puts) != 0 || !strings.Contains(r.out, "already live") {
		t.Errorf("an identical deploy uploaded %v:\n%s", puts, r.out)
	}
	for _, req := range s.proxy.Requests() {
		if strings.Contains(req.Path, "/invalidation") {
			t.Errorf("an identical deploy touched CloudFront: %s %s", req.Method, req.Path)
		}
	}

	// One edited unhashed file: only it goes up, and only it is invalidated.
	if err := os.WriteFile(filepath.Join(s.dist, "favicon.ico"), []byte("ICO"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.proxy.Reset()
	fe = summary(t, s.deploy(t, "-o", "json", "--no-wait"))
	if puts := s.puts(); !slices.Equal(puts, []string{"favicon.ico"}) || fe.Uploaded != 1 || fe.UnchangedFiles != 13 {
		t.Errorf("after a one-file edit uploaded %v (summary %+v), want only favicon.ico", puts, fe)
	}
	if got := s.lastInvalidationPaths(t, fe.Invalidation); !slices.Equal(got, []string{"/favicon.ico"}) {
		t.Errorf("invalidated %v, want [/favicon.ico]", got)
	}
	for _, req := range s.proxy.Requests() {
		if req.Method == http.MethodGet && strings.Contains(req.Path, "/invalidation/") {
			t.Errorf("--no-wait polled the invalidation: %s", req.Path)
		}
	}

	// A new build, and a config.json in the bucket that is not the
	// environment's (as an earlier empctl wrote it): the assets, then
	// config.json, then index.html, each phase done before the next starts.
	older := `{"apiBaseUrl":"/api/v0"}`
	if _, err := s.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String("config.json"),
		Body: strings.NewReader(older), ContentType: aws.String("application/json"), CacheControl: aws.String("no-cache"),
		Metadata: map[string]string{"sha256": fmt.Sprintf("%x", sha256.Sum256([]byte(older)))}}); err != nil {
		t.Fatal(err)
	}
	s.build(t, "v2")
	s.proxy.Reset()
	s.deploy(t, "--keep", "2")
	puts := s.puts()
	if len(puts) != 12 || puts[len(puts)-2] != "config.json" || puts[len(puts)-1] != "index.html" {
		t.Errorf("v2 uploaded %v, want its 9 hashed assets and favicon.ico (back to v1's), then config.json, then index.html", puts)
	}
	var assetsEnd, configStart, configEnd, indexStart int
	for _, req := range s.proxy.Requests() {
		key := req.S3Key(s.bucket)
		switch {
		case req.Method != http.MethodPut || key == "" || strings.HasPrefix(key, ".empctl/"):
		case key == "index.html":
			indexStart = req.Start
		case key == "config.json":
			configStart, configEnd = req.Start, req.End
		default:
			assetsEnd = max(assetsEnd, req.End)
		}
	}
	if assetsEnd == 0 || configStart == 0 || !(assetsEnd < configStart && configEnd < indexStart) {
		t.Errorf("the assets were all up at %d, config.json went up %d-%d, index.html started at %d: want each phase done before the next starts",
			assetsEnd, configStart, configEnd, indexStart)
	}
	if got := s.get(t, "config.json"); got != webassets.ConfigJSON {
		t.Errorf("config.json = %q, want the AWS environment's %q", got, webassets.ConfigJSON)
	}
	s.checkIndexWhole(t)
	s.checkMetadata(t)

	// A third build with --keep 2: v1's assets go, after index.html is live.
	v1Assets := slices.DeleteFunc(s.keys(t), func(k string) bool { return !webassets.IsHashed(k) })
	s.build(t, "v3")
	s.proxy.Reset()
	fe = summary(t, s.deploy(t, "--keep", "2", "-o", "json"))
	var indexEnd, firstDelete int
	for _, req := range s.proxy.Requests() {
		if req.Method == http.MethodPut && req.S3Key(s.bucket) == "index.html" {
			indexEnd = req.End
		}
		if req.Method == http.MethodPost && req.Query.Has("delete") && firstDelete == 0 {
			firstDelete = req.Start
		}
	}
	if fe.Deleted != 9 || firstDelete == 0 || firstDelete < indexEnd {
		t.Errorf("deleted %d files (first delete at %d, index.html done at %d); want v1's 9 assets, after index.html", fe.Deleted, firstDelete, indexEnd)
	}
	keys := s.keys(t)
	gone := 0
	for _, k := range v1Assets {
		if !slices.Contains(keys, k) {
			gone++
		}
	}
	if gone != 9 {
		t.Errorf("%d of v1's assets are gone, want 9 (v1 is past --keep 2); bucket: %v", gone, keys)
	}
	s.checkIndexWhole(t)
}

func TestDeployFrontendInterruptedThenRerun(t *testing.T) {
	s := newStage(t)
	s.build(t, "v1")
	s.deploy(t, "--keep", "1")
	oldIndex := s.get(t, "index.html")

	// Cut the deploy (as Ctrl-C does) when its first asset PUT arrives.
	s.build(t, "v2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && !strings.Contains(r.URL.Path, "/.empctl/") {
			once.Do(cancel)
		}
		return 0, ""
	})
	r := s.empctl(ctx, "deploy", "frontend", "--no-build", "--keep", "1")
	s.proxy.SetHook(nil)
	if r.code == 0 {
		t.Fatal("the cut deploy succeeded")
	}
	if s.get(t, "index.html") != oldIndex {
		t.Fatal("index.html changed although the deploy was cut during the assets")
	}
	s.checkIndexWhole(t)

	s.proxy.Reset()
	fe := summary(t, s.deploy(t, "--keep", "1", "-o", "json"))
	if !strings.Contains(s.get(t, "index.html"), "v2") || fe.Invalidation == "" {
		t.Fatalf("the rerun did not complete: %+v", fe)
	}
	s.checkIndexWhole(t)
}

// TestDeployFrontendRetriesTheInvalidation: a release that went live whose
// CloudFront invalidation failed, or was cut, is invalidated by the next
// deploy, even of the same build (which uploads nothing); once that has
// succeeded, a further deploy invalidates nothing.
func TestDeployFrontendRetriesTheInvalidation(t *testing.T) {
	s := newStage(t)
	s.build(t, "v1")
	s.deploy(t)
	createsInvalidation := func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invalidation")
	}
	invalidations := func() int {
		n := 0
		for _, r := range s.proxy.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/invalidation") && r.Status == http.StatusCreated {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name string
		hook func(cancel func()) func(*http.Request) (int, string)
	}{
		{"refused", func(func()) func(*http.Request) (int, string) {
			return func(r *http.Request) (int, string) {
				if createsInvalidation(r) {
					return http.StatusForbidden, testenv.AWSError("AccessDenied", "denied by the test")
				}
				return 0, ""
			}
		}},
		{"cut", func(cancel func()) func(*http.Request) (int, string) {
			return func(r *http.Request) (int, string) {
				if createsInvalidation(r) {
					cancel() // Ctrl-C as the request goes out: CloudFront never gets it
					return http.StatusServiceUnavailable, testenv.AWSError("ServiceUnavailable", "cut by the test")
				}
				return 0, ""
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.build(t, "build-"+tc.name)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s.proxy.SetHook(tc.hook(cancel))
			r := s.empctl(ctx, "deploy", "frontend", "--no-build")
			s.proxy.SetHook(nil)
			if r.code == 0 || !strings.Contains(s.get(t, "index.html"), "build-"+tc.name) {
				t.Fatalf("the deploy whose invalidation failed: exit %d, %v; index.html %q", r.code, r.err, s.get(t, "index.html"))
			}
			if tc.name == "refused" && !strings.Contains(r.err.Error(), "run the deploy again") {
				t.Errorf("the error does not say a rerun retries the invalidation: %v", r.err)
			}

			// The same build again: nothing to upload, but the invalidation
			// is sent and waited for.
			s.proxy.Reset()
			fe := summary(t, s.deploy(t, "-o", "json"))
			if puts := s.puts(); len(puts) != 0 || fe.Invalidation == "" || invalidations() != 1 {
				t.Fatalf("the rerun uploaded %v and sent %d invalidations (summary %+v): want none and one", puts, invalidations(), fe)
			}
			if got := s.lastInvalidationPaths(t, fe.Invalidation); !slices.Contains(got, "/index.html") || !slices.Contains(got, "/") {
				t.Errorf("the rerun invalidated %v, want at least / and /index.html", got)
			}

			// Done: the next deploy has nothing to invalidate.
			s.proxy.Reset()
			if fe := summary(t, s.deploy(t, "-o", "json")); fe.Invalidation != "" || invalidations() != 0 {
				t.Errorf("a third deploy invalidated again: %+v", fe)
			}
		})
	}
}

func TestDeployFrontendDryRun(t *testing.T) {
	s := newStage(t)
	s.build(t, "v1")
	s.deploy(t, "--keep", "1")
	before := s.keys(t)

	// The live build: the dry run and the deploy both find nothing to
	// publish, every file unchanged.
	for _, args := range [][]string{{"--dry-run"}, nil} {
		fe := summary(t, s.deploy(t, append(args, "--keep", "1", "-o", "json")...))
		if !fe.Unchanged || fe.Uploaded != 0 || fe.UnchangedFiles != fe.Files || fe.Files == 0 {
			t.Fatalf("deploy %v of the live build: %+v; want it unchanged, all %d files", args, fe, fe.Files)
		}
	}
	if r := s.deploy(t, "--keep", "1", "--dry-run"); !strings.Contains(r.out, "already live with this build: nothing would be published") {
		t.Fatalf("dry run of the live build:\n%s", r.out)
	}

	s.build(t, "v2")
	s.proxy.Reset()
	r := s.deploy(t, "--keep", "1", "--dry-run")
	for _, req := range s.proxy.Requests() {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			t.Errorf("a dry run sent %s %s", req.Method, req.Path)
		}
	}
	if !slices.Equal(s.keys(t), before) {
		t.Error("a dry run changed the bucket")
	}
	for _, want := range []string{"upload     10 files", "+ index.html", "unchanged  4 files", "delete     9 files", "invalidate / /index.html", "Dry run: nothing was changed."} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the plan lacks %q:\n%s", want, r.out)
		}
	}
}

func TestDeployFrontendBadInput(t *testing.T) {
	s := newStage(t)
	s.build(t, "v1")
	s.deploy(t, "--keep", "1")
	before := s.keys(t)
	s.build(t, "v2")

	withOutputs := func(t *testing.T, change func(*config.Outputs)) {
		o := s.f.Outputs
		change(&o)
		if _, err := config.SaveOutputs(s.f.Dir, awsenvtest.EnvName, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := config.SaveOutputs(s.f.Dir, awsenvtest.EnvName, s.f.Outputs); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
		args  []string
		want  string
	}{
		{"missing bucket", func(t *testing.T) { withOutputs(t, func(o *config.Outputs) { o.WebappBucket = "no-such-bucket" }) }, nil, "no-such-bucket"},
		{"missing distribution", func(t *testing.T) {
			withOutputs(t, func(o *config.Outputs) { o.CloudFrontDistributionID = "E0MISSING" })
		}, nil, "cloudfront_distribution_id"},
		{"missing dist", func(t *testing.T) {
			moved := s.dist + ".moved"
			if err := os.Rename(s.dist, moved); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Rename(moved, s.dist) })
		}, nil, "make -C webapp build"},
		{"access denied", func(t *testing.T) {
			s.proxy.SetHook(func(r *http.Request) (int, string) {
				if strings.HasPrefix(r.URL.Path, "/"+s.bucket) {
					return http.StatusForbidden, testenv.AWSError("AccessDenied", "Access Denied")
				}
				return 0, ""
			})
			t.Cleanup(func() { s.proxy.SetHook(nil) })
		}, nil, "s3:PutObject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			r := s.empctl(context.Background(), append([]string{"deploy", "frontend", "--no-build", "--keep", "1"}, tc.args...)...)
			if r.code != cmdutil.ExitError || r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Errorf("exit %d, %v; want exit 1 saying %q", r.code, r.err, tc.want)
			}
		})
	}
	if after := s.keys(t); !slices.Equal(after, before) {
		t.Errorf("the bucket changed: %v, was %v", after, before)
	}
}

func TestStatusShowsTheLiveFrontend(t *testing.T) {
	s := newStage(t)
	r := s.empctl(context.Background(), "status")
	if r.code != 0 || !strings.Contains(r.out, "none published") {
		t.Fatalf("status before any frontend deploy: exit %d, %v\n%s", r.code, r.err, r.out)
	}
	s.build(t, "v1")
	fe := summary(t, s.deploy(t, "-o", "json"))
	r = s.empctl(context.Background(), "status")
	if want := fmt.Sprintf("release %s (%d files, published", fe.Release, fe.Files); r.code != 0 || !strings.Contains(r.out, want) {
		t.Fatalf("status: exit %d, %v; want %q in\n%s", r.code, r.err, want, r.out)
	}
	r = s.empctl(context.Background(), "status", "-o", "json")
	var st env.Status
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || st.Frontend == nil || st.Frontend.Release != fe.Release || st.Frontend.Published.IsZero() {
		t.Fatalf("status -o json: %v, frontend %+v\n%s", err, st.Frontend, r.out)
	}
}

// buildEmpctl builds the empctl binary for tests that need a process to kill.
func buildEmpctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "empctl")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/empctl/empctl/cmd/empctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building empctl: %v\n%s", err, out)
	}
	return bin
}

func TestDeployFrontendKilledThenRerun(t *testing.T) {
	bin := buildEmpctl(t)
	s := newStage(t)
	s.build(t, "v1")
	s.deploy(t, "--keep", "1")
	oldIndex := s.get(t, "index.html")

	// An empctl process, killed (SIGKILL: no clean-up at all) when its first
	// asset PUT reaches the proxy.
	s.build(t, "v2")
	cmd := exec.Command(bin, "--dir", s.f.Dir, "--env", awsenvtest.EnvName, "deploy", "frontend", "--no-build", "--keep", "1")
	var proc atomic.Pointer[os.Process]
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if p := proc.Load(); p != nil && r.Method == http.MethodPut && !strings.Contains(r.URL.Path, "/.empctl/") {
			once.Do(func() { _ = p.Kill() })
		}
		return 0, ""
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc.Store(cmd.Process)
	err := cmd.Wait()
	s.proxy.SetHook(nil)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the deploy was not killed: %v", err)
	}
	if s.get(t, "index.html") != oldIndex {
		t.Fatal("index.html changed although the deploy was killed during the assets")
	}
	s.checkIndexWhole(t)
	if !slices.Contains(s.keys(t), ".empctl/deploy.lock") {
		t.Fatal("the killed deploy left no lock: was it killed before it took one?")
	}

	// The rerun takes over the dead process's lock and completes.
	fe := summary(t, s.deploy(t, "--keep", "1", "-o", "json"))
	if !strings.Contains(s.get(t, "index.html"), "v2") || fe.Invalidation == "" {
		t.Fatalf("the rerun did not complete: %+v", fe)
	}
	s.checkIndexWhole(t)
}

func TestDeployFrontendRefusesAConcurrentDeploy(t *testing.T) {
	s := newStage(t)
	s.build(t, "v1")
	// The other deploy runs from another checkout (another machine, CI): two
	// from one checkout wait for each other's use of its webapp build.
	other := t.TempDir()
	if err := os.CopyFS(other, os.DirFS(s.f.Dir)); err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.proxy.SetHook(func(r *http.Request) (int, string) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/index.html") {
			once.Do(func() { close(inside); <-release })
		}
		return 0, ""
	})
	first := make(chan run, 1)
	go func() { first <- s.empctl(context.Background(), "deploy", "frontend", "--no-build") }()
	<-inside
	r := s.empctlIn(context.Background(), other, "deploy", "frontend", "--no-build")
	close(release)
	if r.code != cmdutil.ExitError || !strings.Contains(r.err.Error(), "another deploy is in progress") || !strings.Contains(r.err.Error(), "expires at") {
		t.Errorf("the second deploy: exit %d, %v", r.code, r.err)
	}
	if r := <-first; r.code != 0 {
		t.Fatalf("the first deploy: exit %d, %v", r.code, r.err)
	}
}
