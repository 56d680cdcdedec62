package image

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/empctl/empctl/pkg/testenv"
)

// The ko the bench compares with; the bench installs it when missing.
const (
	koVersion = "0.19.1"
	koModule  = "github.com/google/ko@v" + koVersion
)

// BenchmarkBuildPush builds the server for linux/amd64 and linux/arm64 and
// pushes it to a local docker-registry, with this package and with ko, each
// in its own clone of the sources: cold (an empty repository, one line of the
// server changed so the server's packages compile), incremental (another line
// changed) and unchanged (the same tree again). Both push through one proxy
// that counts the bytes of blob uploads. Go's build cache is shared and warm
// for the dependencies for both tools (emptying it would add the same minutes
// of compiling to both and slow every other build on the machine).
func BenchmarkBuildPush(b *testing.B) {
	reg := testenv.StartRegistry(b, "AWS", testPassword)
	proxy := startCountingProxy(b, reg.Host)
	ko := findKo(b)
	pushKoBase(b, proxy.host)
	ours, theirs := cloneSources(b), cloneSources(b)
	if ko != "" {
		writeKoConfig(b, theirs, proxy.host)
	}
	dockerConfig := writeDockerConfig(b, proxy.host)

	type result struct {
		dur      time.Duration
		uploaded int64
		size     int64
	}
	var cache string
	runOurs := func(round int, marker string) (r result, img *Image) {
		if marker != "" {
			changeLine(b, ours, marker)
		}
		before := proxy.uploaded.Load()
		start := time.Now()
		img, err := Build(context.Background(), BuildOptions{Dir: ours, CacheDir: cache})
		if err != nil {
			b.Fatal(err)
		}
		repo := fmt.Sprintf("%s/empctl-%d", proxy.host, round)
		if _, err := Publish(context.Background(), img, PublishOptions{Repository: repo, Auth: awsAuth(testPassword)}); err != nil {
			b.Fatal(err)
		}
		r.dur, r.uploaded = time.Since(start), proxy.uploaded.Load()-before
		if r.size, err = img.Size(); err != nil {
			b.Fatal(err)
		}
		return r, img
	}
	runKo := func(round int, marker, tag string) (r result) {
		if marker != "" {
			changeLine(b, theirs, marker)
		}
		before := proxy.uploaded.Load()
		start := time.Now()
		cmd := exec.Command(ko, "build", "--bare", "--sbom=none", "--tags="+tag, "--platform=linux/amd64,linux/arm64", "./cmd/server")
		cmd.Dir = theirs
		cmd.Env = append(os.Environ(), fmt.Sprintf("KO_DOCKER_REPO=%s/ko-%d", proxy.host, round), "DOCKER_CONFIG="+dockerConfig)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("ko build: %v\n%s", err, out.String())
		}
		r.dur, r.uploaded = time.Since(start), proxy.uploaded.Load()-before
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		r.size = remoteSize(b, lines[len(lines)-1])
		return r
	}

	// Several rounds, each into new repositories, with the tools taking
	// turns to go first; the table shows each step's median.
	const rounds = 3
	steps := []string{"cold", "incremental", "unchanged"}
	b.ResetTimer()
	for b.Loop() {
		results := map[string][]result{}
		for round := 1; round <= rounds; round++ {
			cache = b.TempDir()
			var prev *Image
			for _, step := range steps {
				// Each tool's change is its own, so that neither finds the
				// other's compiled server package in Go's build cache.
				mark := func(tool string) string {
					if step == "unchanged" {
						return ""
					}
					return fmt.Sprintf("%s-%d-%s", step, round, tool)
				}
				runBoth := []func(){func() {
					o, img := runOurs(round, mark("empctl"))
					if step == "incremental" {
						checkOnlyChangedLayers(b, prev, img, o.uploaded)
					}
					prev = img
					results[step+"/empctl"] = append(results[step+"/empctl"], o)
				}}
				if ko != "" {
					runBoth = append(runBoth, func() {
						results[step+"/ko"] = append(results[step+"/ko"], runKo(round, mark("ko"), step))
					})
				}
				if round%2 == 0 {
					slices.Reverse(runBoth)
				}
				for _, f := range runBoth {
					f()
				}
			}
		}

		b.Logf("build and push of the server, linux/amd64 + linux/arm64, to a local docker-registry, next to %s; median of %d rounds:", koModule, rounds)
		b.Logf("%-12s | %-28s | %-28s | %s", "step", "empctl (pkg/image)", "ko build", "time ratio")
		median := func(rs []result) result {
			slices.SortFunc(rs, func(a, b result) int { return int(a.dur - b.dur) })
			return rs[len(rs)/2]
		}
		for _, step := range steps {
			o := median(results[step+"/empctl"])
			k, ratio := "skipped: ko not installed", ""
			if ko != "" {
				kr := median(results[step+"/ko"])
				k = fmt.Sprintf("%6.2f s, %6.2f MB uploaded", kr.dur.Seconds(), mb(kr.uploaded))
				ratio = fmt.Sprintf("%.2f (target ≤ 1)", o.dur.Seconds()/kr.dur.Seconds())
				b.ReportMetric(kr.dur.Seconds(), step+"-ko-s")
			}
			b.Logf("%-12s | %6.2f s, %6.2f MB uploaded | %-28s | %s", step, o.dur.Seconds(), mb(o.uploaded), k, ratio)
			b.ReportMetric(o.dur.Seconds(), step+"-s")
			b.ReportMetric(mb(o.uploaded), step+"-MB-up")
		}
		size := results["cold/empctl"][0].size
		line := fmt.Sprintf("compressed image size, both platforms: empctl %.2f MB", mb(size))
		if ko != "" {
			line += fmt.Sprintf(", ko %.2f MB", mb(results["cold/ko"][0].size))
		}
		b.Logf("%s (the original golang:latest image: about 300 MB)", line)
		b.ReportMetric(mb(size), "image-MB")
	}
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// checkOnlyChangedLayers: an incremental push uploads the new binary layers
// and configs, nothing else.
func checkOnlyChangedLayers(b *testing.B, prev, img *Image, uploaded int64) {
	b.Helper()
	old := map[v1.Hash]bool{}
	for _, blob := range blobs(b, prev) {
		old[blob.Digest] = true
	}
	var fresh int64
	for _, blob := range blobs(b, img) {
		if !old[blob.Digest] {
			fresh += blob.Size
		}
	}
	if uploaded > fresh {
		b.Errorf("the incremental push uploaded %d bytes; the changed layers and configs are %d bytes", uploaded, fresh)
	}
}

// blobs lists an image's layers and configs, every platform.
func blobs(b *testing.B, img *Image) []v1.Descriptor {
	var out []v1.Descriptor
	for _, p := range img.Platforms {
		i, err := img.Index.Image(p.Digest)
		if err != nil {
			b.Fatal(err)
		}
		m, err := i.Manifest()
		if err != nil {
			b.Fatal(err)
		}
		out = append(append(out, m.Config), m.Layers...)
	}
	return out
}

// changeLine changes one line of the server's code: the body of GET /healthz.
func changeLine(b *testing.B, dir, marker string) {
	b.Helper()
	path := filepath.Join(dir, "server", "handlers_health.go")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "}{\"ok") {
			lines[i] = fmt.Sprintf("}{\"ok-%s\"}", marker)
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				b.Fatal(err)
			}
			return
		}
	}
	b.Fatalf("no line `}{\"ok\"}` in %s to change", path)
}

// cloneSources clones the repository's HEAD into a temporary directory.
func cloneSources(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "src")
	if out, err := exec.Command("git", "clone", "-q", "--no-hardlinks", repoRoot(b), dir).CombinedOutput(); err != nil {
		b.Fatalf("git clone: %v\n%s", err, out)
	}
	return dir
}

// countingProxy forwards to a registry and counts the request body bytes of
// blob uploads, whoever pushes.
type countingProxy struct {
	host     string
	uploaded atomic.Int64
}

func startCountingProxy(b *testing.B, registry string) *countingProxy {
	b.Helper()
	target := &url.URL{Scheme: "http", Host: registry}
	p := &countingProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // the registry's upload locations then name the proxy
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/uploads/") && r.Body != nil {
			r.Body = &countingBody{ReadCloser: r.Body, n: &p.uploaded}
		}
		rp.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}
