package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/empctl/empctl/pkg/testenv"
)

const bundlePath = "/etc/empctl/rds-global-bundle.pem"

func writeFile(t *testing.T, path, content string, mode os.FileMode, mtime time.Time) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBuildWithFiles: image files are one more layer whose bytes depend on
// the paths and contents alone; a file git does not cover names the version,
// so that other contents never reuse a tag; and the pushed image holds it.
func TestBuildWithFiles(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	cache, dir := t.TempDir(), t.TempDir() // dir is outside the checkout: git does not cover it
	const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	a := writeFile(t, filepath.Join(dir, "a.pem"), pem, 0o644, time.Unix(1e9, 0))
	copyOfA := writeFile(t, filepath.Join(dir, "copy.pem"), pem, 0o600, time.Now())
	other := writeFile(t, filepath.Join(dir, "other.pem"), pem+"# another bundle\n", 0o644, time.Unix(1e9, 0))

	plain := build(t, BuildOptions{CacheDir: cache})
	withA := build(t, BuildOptions{CacheDir: cache, Files: map[string]string{bundlePath: a}})
	again := build(t, BuildOptions{CacheDir: cache, Files: map[string]string{bundlePath: copyOfA}})
	withOther := build(t, BuildOptions{CacheDir: cache, Files: map[string]string{bundlePath: other}})

	if withA.Digest != again.Digest || withA.Version != again.Version {
		t.Errorf("the same file with another mode and time: %s %s, then %s %s; want one digest and version", withA.Version, withA.Digest, again.Version, again.Digest)
	}
	if withA.Digest == plain.Digest || withA.Digest == withOther.Digest {
		t.Errorf("digests without the file %s, with it %s, with other contents %s: want three", plain.Digest, withA.Digest, withOther.Digest)
	}
	if !strings.HasPrefix(withA.Version, plain.Version+"-files-") || withA.Version == withOther.Version {
		t.Errorf("versions %q and %q; want %s-files-<hash of the contents>, one per contents", withA.Version, withOther.Version, plain.Version)
	}
	// A file git tracks is named by the sources' version already.
	tracked := build(t, BuildOptions{CacheDir: cache, Files: map[string]string{"/etc/empctl/go.mod": filepath.Join(repoRoot(t), "go.mod")}})
	if tracked.Version != plain.Version {
		t.Errorf("with a tracked file the version is %q, want the sources' %q", tracked.Version, plain.Version)
	}

	i, err := withA.Index.Image(withA.Platforms[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := i.Layers()
	if err != nil || len(layers) != 3 {
		t.Fatalf("%d layers (%v), want base, binary and files", len(layers), err)
	}
	checkLayers(t, withA, i)
	hdrs := layerEntries(t, layers[2])
	want := map[string]int64{"etc/": 0o755, "etc/empctl/": 0o755, "etc/empctl/rds-global-bundle.pem": 0o444}
	if len(hdrs) != len(want) {
		t.Errorf("files layer entries %v, want %v", hdrs, want)
	}
	for name, mode := range want {
		if h, ok := hdrs[name]; !ok || h.Mode != mode || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("files layer entry %s: %+v, want mode %o owned by root", name, h, mode)
		}
	}

	reg := testenv.StartRegistry(t, "AWS", testPassword)
	pub, err := Publish(context.Background(), withA, PublishOptions{Repository: reg.Host + "/empctl", Auth: awsAuth(testPassword)})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(mustRef(t, pub.Ref), remote.WithAuth(awsAuth(testPassword)))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		pulled, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := fileIn(t, pulled, bundlePath); got != pem {
			t.Errorf("%s: %s in the pushed image is %q, want %q", d.Platform, bundlePath, got, pem)
		}
	}
}

func layerEntries(t *testing.T, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

// fileIn is the content of the file at p in the image's file system, and its
// header.
func fileIn(t *testing.T, i v1.Image, p string) (string, *tar.Header) {
	t.Helper()
	fs := mutate.Extract(i)
	defer func() { _ = fs.Close() }()
	tr := tar.NewReader(fs)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no %s in the image: %v", p, err)
		}
		if h.Name == strings.TrimPrefix(p, "/") {
			var b bytes.Buffer
			if _, err := io.Copy(&b, tr); err != nil {
				t.Fatal(err)
			}
			return b.String(), h
		}
	}
}

// Bad image files fail the build before it compiles, saying what to fix.
func TestBuildRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, filepath.Join(dir, "ok.pem"), "x", 0o644, time.Now())
	big := writeFile(t, filepath.Join(dir, "big.pem"), strings.Repeat("x", 1<<20+1), 0o644, time.Now())
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"missing file":       {map[string]string{bundlePath: filepath.Join(dir, "none.pem")}, "none.pem does not exist"},
		"relative path":      {map[string]string{"etc/ca.pem": ok}, `"etc/ca.pem": the path in the image must be absolute`},
		"too large":          {map[string]string{bundlePath: big}, "1048577 bytes; an image file may have at most 1 MiB"},
		"a directory":        {map[string]string{bundlePath: dir}, "is not a regular file"},
		"the server":         {map[string]string{"/usr/local/bin/server": ok}, ": it would replace the image's own"},
		"under the server":   {map[string]string{"/usr/local/bin/server/x": ok}, ": it would replace the image's own"},
		"the passwd file":    {map[string]string{"/etc/passwd": ok}, ": it would replace the image's own"},
		"a directory's name": {map[string]string{"/tmp": ok}, ": it would replace the image's own"},
		"nested":             {map[string]string{"/etc/a": ok, "/etc/a/b": ok}, `"/etc/a/b": it would be inside the file "/etc/a"`},
		"the trust store":    {map[string]string{"/etc/ssl/certs/rds.pem": ok}, ": Go reads it as the system's trust store"},
		"a trust store file": {map[string]string{"/etc/ssl/cert.pem": ok}, ": Go reads it as the system's trust store"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Build(context.Background(), BuildOptions{Dir: repoRoot(t), Files: tc.files, Platforms: []string{"linux/" + runtime.GOARCH}})
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a *FileError saying %q", err, tc.want)
			}
			t.Logf("%v (after %s)", err, time.Since(start).Round(time.Millisecond))
		})
	}
}
