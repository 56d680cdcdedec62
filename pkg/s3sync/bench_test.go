package s3sync_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	webappbuild "github.com/empctl/empctl/pkg/local/build"
	"github.com/empctl/empctl/pkg/s3sync"
	"github.com/empctl/empctl/pkg/testenv"
)

// The S3 deploy next to `aws s3 sync`, on the same tree and the same endpoint
// (loopback, 20 ms added to each request), in four steps: cold (an empty
// bucket), no change, 10 % of the files changed, and a rebuild that rewrites
// every file with the same content. Run with `make bench`, which installs the
// AWS CLI (.ci/bench/awscli.sh).

const benchLatency = 20 * time.Millisecond

func BenchmarkDeployWebapp(b *testing.B) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if _, err := exec.LookPath("npm"); err != nil {
		testenv.Missing(b, "npm (to build the webapp)", "install Node.js 20 with npm (bash .ci/run does)")
	}
	unlock, err := webappbuild.LockWebapp(context.Background(), root, "the s3sync bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	dist, _, err := webappbuild.Webapp(context.Background(), root, false, io.Discard)
	if err != nil || dist == "" {
		b.Fatalf("building the webapp: %v", err)
	}
	dir := b.TempDir()
	err = os.CopyFS(dir, os.DirFS(dist))
	unlock()
	if err != nil {
		b.Fatal(err)
	}
	benchDeploy(b, dir)
}

func BenchmarkDeploySynthetic(b *testing.B) {
	dir := b.TempDir()
	synthetic(b, dir, 2000, 100<<20)
	benchDeploy(b, dir)
}

// synthetic writes n files of about total bytes in all: index.html, config.json
// and content-hashed assets, most small, a few of several MB (multipart).
func synthetic(b *testing.B, dir string, n int, total int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	write(b, filepath.Join(dir, "index.html"), "<!doctype html><title>bench</title>")
	write(b, filepath.Join(dir, "config.json"), `{"apiBaseUrl":"/api"}`)
	const big = 10
	bigSize := total * 4 / 10 / big // 40 % of the bytes in 10 files
	smallAvg := (total - bigSize*big) / int64(n-2-big)
	exts := []string{".js", ".css", ".svg", ".png", ".woff2", ".webp"}
	for i := range n - 2 {
		size := bigSize
		if i >= big {
			size = 1 + rng.Int64N(2*smallAvg)
		}
		data := make([]byte, size)
		fillRandom(rng, data)
		name := fmt.Sprintf("assets/d%02d/chunk-%s%s", i%40, esbuildHash(rng.Uint32()), exts[i%len(exts)])
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func fillRandom(rng *rand.Rand, p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}

type step struct {
	name   string
	mutate func(b *testing.B, dir string)
}

func benchDeploy(b *testing.B, dir string) {
	cli := awsCLI(b)
	files, bytes := treeSize(b, dir)
	steps := []step{
		{"cold", func(*testing.B, string) {}},
		{"no change", func(*testing.B, string) {}},
		{"10% changed", changeTenth},
		{"rebuild, same content", touchAll},
	}
	// The default next to the 16 the issue first asked for.
	concs := []int{s3sync.DefaultConcurrency, 16}
	for range b.N {
		cacheDir := b.TempDir() // where the command keeps it: .empctl/<env>/
		srv := newSlowS3(b, benchLatency)
		for _, conc := range concs {
			srv.bucket(b, fmt.Sprintf("empctl%d", conc))
		}
		srv.bucket(b, "awscli")
		client := func(conc int) *s3.Client {
			return s3.New(s3.Options{
				Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", ""),
				BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: s3sync.HTTPClient(conc),
			})
		}
		ours := func(conc int) (time.Duration, int64) {
			runtime.GC()
			srv.uploads.Store(0)
			t0 := time.Now()
			bucket := fmt.Sprintf("empctl%d", conc)
			opts := s3sync.Options{Bucket: bucket, Dir: dir, Owner: "bench", Concurrency: conc, HashCache: filepath.Join(cacheDir, bucket+".json")}
			if _, err := s3sync.Deploy(context.Background(), client(conc), opts); err != nil {
				b.Fatalf("empctl: %v", err)
			}
			return time.Since(t0), srv.uploads.Load()
		}
		table := []string{
			fmt.Sprintf("%d files, %.1f MB, %v added to each request; aws s3 sync at its default concurrency (10)", files, float64(bytes)/1e6, benchLatency),
			fmt.Sprintf("%-22s %16s %8s %12s %14s %8s %11s %9s", "step", "empctl (64, def.)", "uploads", "empctl (16)", "aws s3 sync", "uploads", "ratio (64)", "ratio 16"),
		}
		for _, st := range steps {
			st.mutate(b, dir)
			tDef, upDef := ours(concs[0])
			t16, _ := ours(concs[1])

			runtime.GC()
			srv.uploads.Store(0)
			t0 := time.Now()
			cmd := exec.Command(cli, "s3", "sync", dir, "s3://awscli", "--endpoint-url", srv.URL, "--only-show-errors", "--no-progress")
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_DEFAULT_REGION=us-east-1",
				"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%s: aws s3 sync: %v\n%s", st.name, err, out)
			}
			theirs, theirUploads := time.Since(t0), srv.uploads.Load()

			table = append(table, fmt.Sprintf("%-22s %15.2fs %8d %11.2fs %13.2fs %8d %10.1fx %8.1fx",
				st.name, tDef.Seconds(), upDef, t16.Seconds(), theirs.Seconds(), theirUploads, theirs.Seconds()/tDef.Seconds(), theirs.Seconds()/t16.Seconds()))
			key := strings.NewReplacer(" ", "-", "%", "pct", ",", "").Replace(st.name)
			b.ReportMetric(tDef.Seconds(), key+"-empctl-s")
			b.ReportMetric(theirs.Seconds(), key+"-awscli-s")
			b.ReportMetric(float64(upDef), key+"-empctl-uploads")
		}
		b.Log("\n" + strings.Join(table, "\n"))
	}
}

func awsCLI(b *testing.B) string {
	if p := os.Getenv("EMPCTL_AWS_CLI"); p != "" {
		return p
	}
	if p := "/opt/empctl/venv-awscli/bin/aws"; fileExists(p) {
		return p
	}
	testenv.Missing(b, "the AWS CLI (the baseline)", "run `bash .ci/bench/awscli.sh` (make bench does), or set EMPCTL_AWS_CLI")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func treeFiles(b *testing.B, dir string) []string {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func treeSize(b *testing.B, dir string) (n int, bytes int64) {
	for _, p := range treeFiles(b, dir) {
		fi, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		n++
		bytes += fi.Size()
	}
	return n, bytes
}

// changeTenth appends to every tenth file (at least one), index.html among them.
func changeTenth(b *testing.B, dir string) {
	for i, p := range treeFiles(b, dir) {
		if i%10 != 0 && !strings.HasSuffix(p, "index.html") {
			continue
		}
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		_, err = f.WriteString("\n/* changed */\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// touchAll gives every file a new modification time, as a rebuild does.
func touchAll(b *testing.B, dir string) {
	now := time.Now().Add(time.Second)
	for _, p := range treeFiles(b, dir) {
		if err := os.Chtimes(p, now, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRollback puts the previous release of the 2,000-file tree live
// again, next to a redeploy of that release's build (what a rollback took
// before: the build is at hand here, so the rebuild is not counted). The
// rollback copies the unhashed files on the server side and reads nothing per
// hashed file but the listing: a handful of round trips whatever the tree's
// size.
func BenchmarkRollback(b *testing.B) {
	dir := b.TempDir()
	synthetic(b, dir, 2000, 100<<20)
	srv := newSlowS3(b, benchLatency)
	srv.bucket(b, "rollback")
	c := s3.New(s3.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: s3sync.HTTPClient(s3sync.DefaultConcurrency),
	})
	cache := filepath.Join(b.TempDir(), "hashes.json")
	deploy := func(version string) (string, time.Duration) {
		write(b, filepath.Join(dir, "index.html"), "<!doctype html><title>bench "+version+"</title>")
		t0 := time.Now()
		res, err := s3sync.Deploy(context.Background(), c, s3sync.Options{Bucket: "rollback", Dir: dir, Owner: "bench", HashCache: cache})
		if err != nil {
			b.Fatal(err)
		}
		return res.Release, time.Since(t0)
	}
	prev, _ := deploy("A")
	deploy("B")
	var rollback, redeploy time.Duration
	for range b.N {
		t0 := time.Now()
		res, err := s3sync.Rollback(context.Background(), c, s3sync.RollbackOptions{Bucket: "rollback", Owner: "bench"})
		if err != nil || res.Release != prev {
			b.Fatalf("rollback to %s: %+v, %v", prev, res, err)
		}
		rollback += time.Since(t0)
		// Back to B by a redeploy of its build, then A by a redeploy of its
		// build: the timed one is the same move as the rollback.
		deploy("B")
		_, d := deploy("A")
		redeploy += d
		deploy("B")
	}
	b.ReportMetric(rollback.Seconds()/float64(b.N), "rollback-s")
	b.ReportMetric(redeploy.Seconds()/float64(b.N), "redeploy-s")
	b.Logf("2,000 files, %v added to each request: rollback %.3fs, redeploy of the same release %.3fs",
		benchLatency, rollback.Seconds()/float64(b.N), redeploy.Seconds()/float64(b.N))
}
