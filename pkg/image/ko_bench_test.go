package image

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What BenchmarkBuildPush needs to run ko next to this package.

// findKo finds ko on PATH or in GOBIN, installing it when missing; "" (and
// a message) when it cannot be installed.
func findKo(b *testing.B) string {
	b.Helper()
	gobin, _ := exec.Command("go", "env", "GOBIN").Output()
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	candidates := []string{filepath.Join(strings.TrimSpace(string(gobin)), "ko"), filepath.Join(strings.TrimSpace(string(gopath)), "bin", "ko")}
	if p, err := exec.LookPath("ko"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	for _, p := range candidates {
		if out, err := exec.Command(p, "version").Output(); err == nil && strings.TrimPrefix(strings.TrimSpace(string(out)), "v") == koVersion {
			return p
		}
	}
	b.Logf("installing %s to compare with (go install)", koModule)
	cmd := exec.Command("go", "install", koModule)
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Logf("SKIPPING the ko comparison: `go install %s` failed: %v\n%s", koModule, err, out)
		return ""
	}
	for _, p := range candidates[len(candidates)-2:] {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	b.Logf("SKIPPING the ko comparison: ko was installed but is not in %v", candidates)
	return ""
}

// pushKoBase gives ko a base image in the local registry (ko always starts
// from one): the same base layer this package puts under the server, for
// both platforms, so both tools push the same files.
func pushKoBase(b *testing.B, host string) {
	b.Helper()
	base, err := baseLayer(time.Unix(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), base)
		if err != nil {
			b.Fatal(err)
		}
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		cf, err := img.ConfigFile()
		if err != nil {
			b.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Config.User = "linux", arch, "65532:65532"
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			b.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	ref, err := name.ParseReference(host + "/base:latest")
	if err != nil {
		b.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithAuth(awsAuth(testPassword))); err != nil {
		b.Fatal(err)
	}
}

// writeKoConfig gives ko the base image and the link flags this package uses.
func writeKoConfig(b *testing.B, dir, host string) {
	b.Helper()
	cfg := fmt.Sprintf(`defaultBaseImage: %s/base:latest
builds:
- id: server
  main: ./cmd/server
  env: [CGO_ENABLED=0]
  flags: [-trimpath]
  ldflags: ["-s -w -X %s.Version=bench -X %s.Commit={{.Git.FullCommit}}"]
`, host, buildinfoPkg, buildinfoPkg)
	if err := os.WriteFile(filepath.Join(dir, ".ko.yaml"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
}

// writeDockerConfig writes the credentials ko reads (its keychain is Docker's).
func writeDockerConfig(b *testing.B, host string) string {
	b.Helper()
	dir := b.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("AWS:" + testPassword))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

// remoteSize is the compressed size of a pushed image index: manifests,
// configs and layers, each blob once.
func remoteSize(b *testing.B, ref string) int64 {
	b.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		b.Fatalf("ko printed %q, not an image reference: %v", ref, err)
	}
	idx, err := remote.Index(r, remote.WithAuth(awsAuth(testPassword)))
	if err != nil {
		b.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		b.Fatal(err)
	}
	img := &Image{Index: idx}
	for _, d := range im.Manifests {
		img.Platforms = append(img.Platforms, PlatformImage{Digest: d.Digest})
	}
	size, err := img.Size()
	if err != nil {
		b.Fatal(err)
	}
	return size
}
