package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/empctl/empctl/pkg/srcversion"
)

// repoRoot is the module root: the sources the tests build.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func build(t testing.TB, opts BuildOptions) *Image {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = repoRoot(t)
	}
	img, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// gitHead is the commit the image names: the last one that changed the
// server's own inputs, "" where git cannot read it (then the image has no
// revision either).
func gitHead(t testing.TB) string {
	t.Helper()
	specs, err := srcversion.GoInputs(context.Background(), repoRoot(t), "./cmd/server")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("git", append([]string{"-C", repoRoot(t), "log", "-1", "--format=%H", "--"}, specs...)...).Output()
	return strings.TrimSpace(string(out))
}

// TestBuildReproducible builds the server twice from scratch (two empty
// caches) and once from the cache: one digest.
func TestBuildReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	cache := t.TempDir()
	first := build(t, BuildOptions{CacheDir: cache})
	second := build(t, BuildOptions{CacheDir: t.TempDir()})
	if first.Digest != second.Digest {
		t.Fatalf("two builds of one tree: digests %s and %s", first.Digest, second.Digest)
	}
	for _, p := range second.Platforms {
		if p.Cached {
			t.Errorf("%s came from an empty cache", p.Platform)
		}
	}
	cached := build(t, BuildOptions{CacheDir: cache})
	if cached.Digest != first.Digest {
		t.Fatalf("the cached build's digest %s differs from %s", cached.Digest, first.Digest)
	}
	for _, p := range cached.Platforms {
		if !p.Cached && first.Commit != "" { // outside git the sources have no name to cache by
			t.Errorf("%s was rebuilt although its layer was in the cache", p.Platform)
		}
	}
	checkImage(t, first)
}

// checkImage asserts the index's platforms and each image's configuration,
// and runs the host platform's binary.
func checkImage(t *testing.T, img *Image) {
	t.Helper()
	mt, err := img.Index.MediaType()
	if err != nil || mt != types.OCIImageIndex {
		t.Errorf("index media type %s (%v), want %s", mt, err, types.OCIImageIndex)
	}
	im, err := img.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range im.Manifests {
		got = append(got, d.Platform.OS+"/"+d.Platform.Architecture)
		i, err := img.Index.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := i.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != d.Platform.OS || cf.Architecture != d.Platform.Architecture {
			t.Errorf("%s: config says %s/%s", d.Platform, cf.OS, cf.Architecture)
		}
		checkConfig(t, img, cf)
		checkLayers(t, img, i)
		bin := extractBinary(t, i)
		checkMachine(t, bin, d.Platform.Architecture)
		if d.Platform.Architecture == runtime.GOARCH {
			runBinary(t, img, bin)
		}
	}
	if strings.Join(got, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("index platforms %v, want linux/amd64 and linux/arm64", got)
	}
	size, err := img.Size()
	if err != nil || size < 1<<20 || size > 60<<20 {
		t.Errorf("compressed size %d bytes (%v): not a plausible static Go server", size, err)
	}
}

func checkConfig(t *testing.T, img *Image, cf *v1.ConfigFile) {
	t.Helper()
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/usr/local/bin/server" {
		t.Errorf("entrypoint %q", c.Entrypoint)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, want 8080/tcp", c.ExposedPorts)
	}
	want := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/empctl/empctl",
		"org.opencontainers.image.revision": gitHead(t),
		"org.opencontainers.image.version":  img.Version,
		"org.opencontainers.image.created":  img.Created.Format(time.RFC3339),
	}
	if img.Commit != gitHead(t) {
		t.Errorf("image commit %q, want %q", img.Commit, gitHead(t))
	}
	for k, v := range want {
		if got, ok := c.Labels[k]; got != v || (v == "") == ok {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if !cf.Created.Equal(img.Created) || img.Created.Unix() <= 0 {
		t.Errorf("created %v, image says %v: want the commit time", cf.Created, img.Created)
	}
}

// checkLayers checks the layers' tar entries: sorted, fixed owners and times.
func checkLayers(t *testing.T, img *Image, i v1.Image) {
	t.Helper()
	layers, err := i.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		prev := ""
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name <= prev {
				t.Errorf("tar entries not sorted: %s after %s", h.Name, prev)
			}
			prev = h.Name
			if !h.ModTime.Equal(img.Created) || h.Uname != "" || (h.Uid != 0 && h.Uid != 65532) {
				t.Errorf("%s: time %v uid %d uname %q; want %v and a fixed numeric owner", h.Name, h.ModTime, h.Uid, h.Uname, img.Created)
			}
		}
		_ = rc.Close()
	}
}

// extractBinary writes the image's server binary to a temporary file.
func extractBinary(t *testing.T, i v1.Image) string {
	t.Helper()
	body, h := fileIn(t, i, "/usr/local/bin/server")
	if h.Mode&0o111 == 0 || h.Uid != 0 {
		t.Errorf("binary mode %o uid %d: want executable, owned by root", h.Mode, h.Uid)
	}
	bin := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(bin, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// checkMachine: the binary is a static ELF executable for arch.
func checkMachine(t *testing.T, bin, arch string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the image's server is not an ELF binary: %v", err)
	}
	defer func() { _ = f.Close() }()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want || f.Type != elf.ET_EXEC {
		t.Errorf("linux/%s binary: machine %v type %v, want %v ET_EXEC", arch, f.Machine, f.Type, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("linux/%s binary asks for a dynamic loader: not static", arch)
		}
	}
}

// runBinary runs the server binary taken out of the image.
func runBinary(t *testing.T, img *Image, bin string) {
	t.Helper()
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Usage: server") {
		t.Errorf("the image's server --help: %v\n%s", err, out)
	}
	checkServes(t, img, bin)
}

// checkServes runs the image's server (SQLite in a temporary directory) and
// asks it for /api/version: the stamped version, commit and date.
func checkServes(t *testing.T, img *Image, bin string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+port, "DRAIN_DELAY=0s", "DATABASE_URL=", "PUBLIC_DEBUG_INFO=true")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	var got map[string]string
	for deadline := time.Now().Add(time.Minute); ; {
		resp, err := http.Get("http://" + addr + "/api/version")
		if err == nil {
			derr := json.NewDecoder(resp.Body).Decode(&got)
			_ = resp.Body.Close()
			if derr != nil {
				t.Fatalf("/api/version of the image's server: %v", derr)
			}
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the image's server exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the image's server did not answer within a minute: %v\n%s", err, logs.String())
		}
	}
	if got["version"] != img.Version || got["commit"] != img.Commit || got["buildTime"] != img.Created.Format(time.RFC3339) || got["platform"] != "linux/"+runtime.GOARCH {
		t.Errorf("/api/version of the image's server: %v; want version %s, commit %s, buildTime %s", got, img.Version, img.Commit, img.Created.Format(time.RFC3339))
	}
}

// TestBuildSourceDateEpoch: SOURCE_DATE_EPOCH dates the image and its files.
func TestBuildSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	img := build(t, BuildOptions{Platforms: []string{"linux/" + runtime.GOARCH}})
	if img.Created.Unix() != 1700000000 {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH 1700000000", img.Created)
	}
	i, err := img.Index.Image(img.Platforms[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := i.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, img, cf)
}

func TestBuildBadPlatform(t *testing.T) {
	_, err := Build(context.Background(), BuildOptions{Dir: repoRoot(t), Platforms: []string{"windows/amd64"}})
	if err == nil || !strings.Contains(err.Error(), "linux/<arch>") {
		t.Errorf("windows/amd64: err = %v, want a clear error", err)
	}
}
