package image

// The build cache: one compressed binary layer per platform and set of
// inputs (see cacheKey), the most recently used cacheEntries kept.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cached returns the layer stored under key, if any. A cache entry is named
// <key>-<diff ID>.tar.gz.
func (b *builder) cached(key string) (v1.Layer, bool) {
	if key == "" {
		return nil, false
	}
	paths, _ := filepath.Glob(filepath.Join(b.opts.CacheDir, key+"-*.tar.gz"))
	if len(paths) != 1 {
		return nil, false
	}
	diffID, err := v1.NewHash("sha256:" + strings.TrimSuffix(strings.TrimPrefix(filepath.Base(paths[0]), key+"-"), ".tar.gz"))
	if err != nil {
		return nil, false
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(paths[0], now, now) // most recently used: pruned last
	l, err := newLayer(data, diffID)
	return l, err == nil
}

// cacheKey identifies the binary layer's inputs; "" when there is no cache
// or the sources cannot be named (outside git).
func (b *builder) cacheKey(arch string) string {
	if b.opts.CacheDir == "" || b.src.Commit == "" {
		return ""
	}
	h := sha256.New()
	// layerFormat changes whenever this package writes layers differently.
	const layerFormat = "1"
	for _, s := range []string{layerFormat, b.src.Commit, b.src.Version, b.toolchain, b.opts.Package, arch, b.ldflags()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// cacheEntries is how many binary layers the cache keeps (the most recently
// used); one build adds one per platform.
const cacheEntries = 16

func storeCache(dir, key string, diffID v1.Hash, data []byte) error {
	f, err := os.CreateTemp(dir, "layer-")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), filepath.Join(dir, key+"-"+diffID.Hex+".tar.gz"))
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return werr
	}
	return pruneCache(dir)
}

// pruneCache removes all but the cacheEntries most recently used layers.
func pruneCache(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
	if err != nil || len(paths) <= cacheEntries {
		return err
	}
	mtime := map[string]time.Time{}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			mtime[p] = fi.ModTime()
		}
	}
	slices.SortFunc(paths, func(a, b string) int { return mtime[b].Compare(mtime[a]) }) // newest first
	var errs []error
	for _, p := range paths[cacheEntries:] {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
