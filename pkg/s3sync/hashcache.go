package s3sync

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// A hash cache remembers each file's SHA-256 with what identifies its content
// on disk: size, modification and change times, inode (what git's index
// keeps). A file whose identity is unchanged since the last deploy is not
// hashed again. Writing a file changes its change time, which no tool can set
// back, so an edit that keeps the size and restores the modification time is
// still seen. As git does with "racily clean" entries, a file changed less
// than racyWindow before the cache was written is hashed again anyway, which
// also covers file systems whose times are coarse.
type hashCache struct {
	Written time.Time             `json:"written"`
	Files   map[string]cacheEntry `json:"files"` // by absolute path
	// Deployed is the last deploy from here that got as far as its plan:
	// its guesses save the next deploy round trips (see readBucket); a
	// wrong one costs no extra round trip.
	Deployed *deployRecord `json:"deployed,omitempty"`

	hashed time.Time // when this deploy's hashes were taken
}

// deployRecord is what a deploy found and left in the bucket.
type deployRecord struct {
	Bucket  string `json:"bucket"`
	Release string `json:"release"`
	// Manifests are the keys of the release manifests it left.
	Manifests []string `json:"manifests"`
	// Bounds split the bucket's keys, as it listed them, into ranges for
	// the next listing (listRanges).
	Bounds []string `json:"bounds,omitempty"`
}

// lastDeploy returns the record of the last deploy to bucket, or nil.
func (c *hashCache) lastDeploy(bucket string) *deployRecord {
	if c.Deployed == nil || c.Deployed.Bucket != bucket {
		return nil
	}
	return c.Deployed
}

type cacheEntry struct {
	fileID
	SHA256 string `json:"sha256"`
}

// fileID is what identifies a file's content on disk (stat.go per system).
type fileID struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // nanoseconds
	CTime int64  `json:"ctime"`
	Inode uint64 `json:"inode"`
}

const racyWindow = 2 * time.Second

// loadHashCache reads the cache at path; a missing or unreadable one is empty.
func loadHashCache(path string) *hashCache {
	c := &hashCache{Files: map[string]cacheEntry{}}
	if path == "" {
		return c
	}
	if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, c) == nil && c.Files != nil {
		return c
	}
	return &hashCache{Files: map[string]cacheEntry{}}
}

func (c *hashCache) lookup(f File) (string, bool) {
	e, ok := c.Files[f.path]
	changed := time.Unix(0, max(f.id.MTime, f.id.CTime))
	if !ok || e.fileID != f.id || changed.After(c.Written.Add(-racyWindow)) {
		return "", false
	}
	return e.SHA256, true
}

// save writes the hashes of files (those on disk) and the deploy record to
// path, atomically. Written stays when the hashes were taken (the first save)
// when a later save adds the deploy record, so that racyWindow still covers a
// file changed while the deploy ran.
func (c *hashCache) save(path string, files []File) error {
	if path == "" {
		return nil
	}
	if c.hashed.IsZero() {
		c.hashed = time.Now()
	}
	next := hashCache{Written: c.hashed, Deployed: c.Deployed, Files: make(map[string]cacheEntry, len(files))}
	for _, f := range files {
		if f.path != "" && f.SHA256 != "" {
			next.Files[f.path] = cacheEntry{fileID: f.id, SHA256: f.SHA256}
		}
	}
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
