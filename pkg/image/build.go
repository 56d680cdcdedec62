package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/mod/modfile"
	"golang.org/x/sync/errgroup"

	"github.com/empctl/empctl/pkg/srcversion"
)

const buildinfoPkg = "github.com/empctl/empctl/pkg/buildinfo"

// DefaultPlatforms are the platforms an ECS task definition may ask for.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64"}

// BuildOptions says what to build.
type BuildOptions struct {
	// Dir is the module root holding the sources.
	Dir string
	// Package is the main package to build, relative to Dir; "./cmd/server"
	// when empty.
	Package string
	// Platforms are os/arch pairs; DefaultPlatforms when empty.
	Platforms []string
	// Port is the exposed TCP port; 8080 (the server's default PORT) when 0.
	Port int
	// SourceURL is the org.opencontainers.image.source label; when empty,
	// https:// and the module path of Dir's go.mod.
	SourceURL string
	// CacheDir, when set, keeps each platform's binary layer, keyed by the
	// sources' commit and uncommitted changes, the Go toolchain and the build
	// flags, so that building an unchanged tree again skips the compiler. Only
	// git-tracked and untracked-but-not-ignored files count as sources.
	CacheDir string
	// Files maps absolute paths in the image to local files (absolute, or
	// relative to Dir) that go into one more layer: regular files of at most
	// 1 MiB, read-only, owned by root. Contents that git does not cover (the
	// file is outside the checkout or ignored) are hashed into the version, so
	// that other contents never get the same tag.
	Files map[string]string
	// Progress, when set, receives one line per step, one call at a time.
	Progress func(msg string)
}

// Build compiles the server for every platform and assembles the image
// index. It uses the Go toolchain and git, and no network beyond what `go
// build` needs for modules missing from the module cache.
func Build(ctx context.Context, opts BuildOptions) (*Image, error) {
	if opts.Package == "" {
		opts.Package = "./cmd/server"
	}
	if len(opts.Platforms) == 0 {
		opts.Platforms = DefaultPlatforms
	}
	if opts.Port == 0 {
		opts.Port = 8080
	}
	if progress := opts.Progress; progress == nil {
		opts.Progress = func(string) {}
	} else {
		var mu sync.Mutex // platforms build in parallel; the caller sees one line at a time
		opts.Progress = func(msg string) { mu.Lock(); defer mu.Unlock(); progress(msg) }
	}
	if opts.SourceURL == "" {
		opts.SourceURL = moduleURL(opts.Dir)
	}
	if opts.CacheDir != "" {
		if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("creating the image build cache: %w", err)
		}
	}
	files, err := readFiles(opts.Dir, opts.Files)
	if err != nil {
		return nil, err
	}
	// The image's version follows the server's own inputs (and the image
	// files git tracks), so a webapp-only change reuses the tag and the push.
	specs, err := srcversion.GoInputs(ctx, opts.Dir, opts.Package)
	if err != nil {
		return nil, err
	}
	src, err := srcversion.DescribePaths(ctx, opts.Dir, append(specs, fileSpecs(opts.Dir, files)...))
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		covered := false
		if src.Commit != "" {
			if covered, err = gitCovers(ctx, opts.Dir, files); err != nil {
				return nil, err
			}
		}
		if !covered {
			src.Version += "-files-" + filesHash(files)[:8]
		}
	}
	created := src.Time
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	toolchain, err := goEnv(ctx, opts.Dir)
	if err != nil {
		return nil, err
	}
	b := &builder{opts: opts, src: src, created: created, toolchain: toolchain}
	if b.base, err = baseLayer(created); err != nil {
		return nil, err
	}
	if len(files) > 0 {
		if b.files, err = filesLayer(files, created); err != nil {
			return nil, err
		}
		b.filePaths = filePaths(files)
	}

	imgs := make([]v1.Image, len(opts.Platforms))
	plats := make([]PlatformImage, len(opts.Platforms))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range opts.Platforms {
		g.Go(func() (err error) {
			imgs[i], plats[i], err = b.platformImage(gctx, p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, img := range imgs {
		osName, arch, _ := strings.Cut(plats[i].Platform, "/")
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: osName, Architecture: arch},
		}})
	}
	digest, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	return &Image{Index: idx, Digest: digest, Version: src.Version, Commit: src.Commit, Created: created, Platforms: plats}, nil
}

type builder struct {
	opts      BuildOptions
	src       srcversion.Source
	created   time.Time
	toolchain string // `go env` output that changes what the compiler makes
	base      v1.Layer
	files     v1.Layer // the image files; nil when there are none
	filePaths string
}

// platformImage builds (or takes from the cache) one platform's binary
// layer and assembles its image.
func (b *builder) platformImage(ctx context.Context, platform string) (v1.Image, PlatformImage, error) {
	osName, arch, ok := strings.Cut(platform, "/")
	if !ok || osName != "linux" || arch == "" {
		return nil, PlatformImage{}, fmt.Errorf("platform %q: give linux/<arch>, e.g. linux/amd64 or linux/arm64", platform)
	}
	layer, cached, err := b.binaryLayer(ctx, arch)
	if err != nil {
		return nil, PlatformImage{}, err
	}
	img, err := b.assemble(layer, arch)
	if err != nil {
		return nil, PlatformImage{}, err
	}
	pi := PlatformImage{Platform: platform, Cached: cached}
	if pi.Digest, err = img.Digest(); err != nil {
		return nil, PlatformImage{}, err
	}
	if pi.Size, err = compressedSize(img); err != nil {
		return nil, PlatformImage{}, err
	}
	return img, pi, nil
}

// assemble puts the base and binary layers under the image configuration.
func (b *builder) assemble(bin v1.Layer, arch string) (v1.Image, error) {
	at := v1.Time{Time: b.created}
	layers := []mutate.Addendum{
		{Layer: b.base, History: v1.History{Created: at, CreatedBy: "empctl: /etc/passwd, /etc/group, " + homeDir + ", /tmp", Comment: "base"}},
		{Layer: bin, History: v1.History{Created: at, CreatedBy: "empctl: go build " + b.opts.Package, Comment: b.src.Version}},
	}
	if b.files != nil {
		layers = append(layers, mutate.Addendum{Layer: b.files, History: v1.History{Created: at, CreatedBy: "empctl: image.files " + b.filePaths, Comment: "files"}})
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created, cfg.OS, cfg.Architecture = at, "linux", arch
	cfg.Config = v1.Config{
		Entrypoint:   []string{binPath},
		User:         strconv.Itoa(uid) + ":" + strconv.Itoa(uid),
		WorkingDir:   homeDir,
		ExposedPorts: map[string]struct{}{strconv.Itoa(b.opts.Port) + "/tcp": {}},
		Labels:       b.labels(),
	}
	return mutate.ConfigFile(img, cfg)
}

func (b *builder) labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.version": b.src.Version,
		"org.opencontainers.image.created": b.created.Format(time.RFC3339),
	}
	if b.src.Commit != "" {
		l["org.opencontainers.image.revision"] = b.src.Commit
	}
	if b.opts.SourceURL != "" {
		l["org.opencontainers.image.source"] = b.opts.SourceURL
	}
	return l
}

// ldflags stamps pkg/buildinfo; the date is the commit's, not the clock's,
// so that the binary is reproducible.
func (b *builder) ldflags() string {
	f := "-s -w -X " + buildinfoPkg + ".Version=" + b.src.Version + " -X " + buildinfoPkg + ".Date=" + b.created.Format(time.RFC3339)
	if b.src.Commit != "" {
		f += " -X " + buildinfoPkg + ".Commit=" + b.src.Commit
	}
	return f
}

// binaryLayer returns the layer holding the binary for linux/arch, from the
// cache when it has it.
func (b *builder) binaryLayer(ctx context.Context, arch string) (v1.Layer, bool, error) {
	platform := "linux/" + arch
	key := b.cacheKey(arch)
	if l, ok := b.cached(key); ok {
		b.opts.Progress(platform + ": unchanged sources, binary layer from the cache")
		return l, true, nil
	}
	tmp, err := os.MkdirTemp("", "empctl-image-")
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	bin := filepath.Join(tmp, "server")
	b.opts.Progress(platform + ": go build " + b.opts.Package)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", b.ldflags(), "-o", bin, b.opts.Package)
	cmd.Dir = b.opts.Dir
	// GOAMD64 and GOARM64 are pinned to their defaults so that a developer's
	// environment cannot change the binary (or make it not run on Fargate).
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOAMD64=v1", "GOARM64=v8.0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, false, fmt.Errorf("building the server for %s (go build %s in %s): %w\n%s", platform, b.opts.Package, b.opts.Dir, err, strings.TrimSpace(stderr.String()))
	}
	var buf bytes.Buffer
	diffID, err := binaryLayer(&buf, bin, b.created)
	if err != nil {
		return nil, false, fmt.Errorf("writing the server's layer for %s: %w", platform, err)
	}
	if key != "" {
		if err := storeCache(b.opts.CacheDir, key, diffID, buf.Bytes()); err != nil {
			return nil, false, fmt.Errorf("caching the server's layer in %s: %w", b.opts.CacheDir, err)
		}
	}
	l, err := newLayer(buf.Bytes(), diffID)
	return l, false, err
}

// goEnv is the toolchain's description of what it compiles with.
func goEnv(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOROOT")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running `go env` in %s (is Go installed and on PATH?): %w", dir, err)
	}
	return string(out), nil
}

// moduleURL turns the module path of dir's go.mod into a URL, for modules
// named after their repository (github.com/owner/name); "" otherwise.
func moduleURL(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	mod := modfile.ModulePath(data)
	if host, _, _ := strings.Cut(mod, "/"); !strings.Contains(host, ".") {
		return ""
	}
	return "https://" + mod
}

func compressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}
