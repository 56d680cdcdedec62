package s3sync

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHashCache(t *testing.T) {
	dir := t.TempDir()
	cachePath := filepath.Join(t.TempDir(), "hashes.json")
	p := filepath.Join(dir, "index.html")
	old := time.Now().Add(-time.Hour)
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		// As a tool that keeps modification times would (cp -p, rsync -t).
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	hash := func() string {
		t.Helper()
		files, err := scan(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		cache := loadHashCache(cachePath)
		if err := hashAll(context.Background(), files, cache); err != nil {
			t.Fatal(err)
		}
		if err := cache.save(cachePath, files); err != nil {
			t.Fatal(err)
		}
		return files[0].SHA256
	}
	write("aaaa")
	first := hash()

	// A cached hash is used without reading the file: plant a wrong one, in
	// a cache written well after the file changed.
	files, err := scan(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	planted, _ := json.Marshal(hashCache{Written: time.Now().Add(time.Hour), Files: map[string]cacheEntry{p: {fileID: files[0].id, SHA256: "planted"}}})
	if err := os.WriteFile(cachePath, planted, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := hash(); got != "planted" {
		t.Fatalf("an unchanged file was hashed again (%s), want the cached hash", got)
	}
	if err := os.WriteFile(cachePath, planted, 0o644); err != nil {
		t.Fatal(err)
	}

	// Same size, same modification time, new content: the change time
	// gives it away.
	write("bbbb")
	if got := hash(); got == "planted" || got == first {
		t.Fatalf("an edit that kept size and modification time was missed (%s)", got)
	}

	// A file modified just before the cache was written is hashed again.
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil {
		t.Fatal(err)
	}
	hash()
	c := loadHashCache(cachePath)
	files, _ = scan(dir, nil)
	if _, ok := c.lookup(files[0]); ok {
		t.Error("a racily clean file was trusted")
	}
}
