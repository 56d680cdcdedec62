package s3sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

// A File is one file of the release: its key in the bucket, where its bytes
// come from, and its content hash.
type File struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	path   string // on disk, or "" when data holds the content
	id     fileID // of the file on disk
	data   []byte
}

func (f File) open() (io.ReadSeeker, func(), error) {
	if f.path == "" {
		return bytes.NewReader(f.data), func() {}, nil
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, nil, err
	}
	return fh, func() { _ = fh.Close() }, nil
}

// scan lists the regular files under dir plus extra (which replace files of the
// same key), sorted by key; hashAll hashes them.
func scan(dir string, extra map[string][]byte) ([]File, error) {
	if err := checkBuild(dir, extra); err != nil {
		return nil, err
	}
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := os.Stat(p) // follows a symlink to what it names
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if strings.HasPrefix(key, metaPrefix) {
			return fmt.Errorf("%s: the prefix %s is reserved for the deploy's own records", p, metaPrefix)
		}
		if _, replaced := extra[key]; !replaced {
			files = append(files, File{Key: key, Size: info.Size(), path: p, id: identify(info)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the build in %s: %w", dir, err)
	}
	for key, data := range extra {
		files = append(files, File{Key: key, Size: int64(len(data)), data: data})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	if !hasIndex(files) {
		return nil, fmt.Errorf("%w: %s has no index.html (is it the webapp's build output?)", ErrNoBuild, dir)
	}
	return files, nil
}

// checkBuild makes sure dir is a folder with an index.html (or extra has
// one), without reading the rest of it.
func checkBuild(dir string, extra map[string][]byte) error {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s does not exist (build the webapp first)", ErrNoBuild, dir)
		}
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a folder", ErrNoBuild, dir)
	}
	if _, ok := extra[IndexKey]; ok {
		return nil
	}
	if fi, err := os.Stat(filepath.Join(dir, IndexKey)); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s has no index.html (is it the webapp's build output?)", ErrNoBuild, dir)
	}
	return nil
}

func hasIndex(files []File) bool {
	for _, f := range files {
		if f.Key == IndexKey {
			return true
		}
	}
	return false
}

// hashAll fills in each file's SHA-256, one worker per core; a file the cache
// knows unchanged is not read.
func hashAll(ctx context.Context, files []File, cache *hashCache) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for i := range files {
		if sum, ok := cache.lookup(files[i]); ok {
			files[i].SHA256 = sum
			continue
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum, err := hashFile(files[i])
			files[i].SHA256 = sum
			return err
		})
	}
	return g.Wait()
}

func hashFile(f File) (string, error) {
	r, done, err := f.open()
	if err != nil {
		return "", err
	}
	defer done()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("hashing %s: %w", f.path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
