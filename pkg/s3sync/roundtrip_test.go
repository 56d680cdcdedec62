package s3sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/s3sync"
)

// The deploy overlaps the requests it can (the manifest written while the
// bucket is read, the published manifest while the lock is released): these
// tests hold it to the guarantees that overlapping could break, with and
// without a hash cache (which makes it write the manifest as soon as it holds
// the lock, and guess the manifests to read).

var cacheModes = []struct {
	name  string
	cache bool
}{{"no cache", false}, {"hash cache", true}}

func withCache(t *testing.T, on bool) func(*s3sync.Options) {
	path := filepath.Join(t.TempDir(), "hashes.json")
	return func(o *s3sync.Options) {
		if on {
			o.HashCache = path
		}
	}
}

// TestRecordsAroundUploads: the lock is held before anything else is sent;
// the release's manifest is written before the first upload starts; the
// published manifest only once index.html is live; the lock released last
// but for that manifest.
func TestRecordsAroundUploads(t *testing.T) {
	for _, mode := range cacheModes {
		t.Run(mode.name, func(t *testing.T) {
			s := newSite(t)
			cache := withCache(t, mode.cache)
			keep := func(o *s3sync.Options) { o.Keep = 1 }
			s.deploy(t, build(t, "v1"), cache, keep)
			s.proxy.Reset()
			r2 := s.deploy(t, build(t, "v2"), cache, keep)
			own := ".empctl/releases/" + r2.Release + ".json"
			var lockEnd, created, firstUpload, indexEnd, published, lastWrite, unlock int
			for _, r := range s.proxy.Requests() {
				key := r.S3Key(bucket)
				switch {
				case key == ".empctl/deploy.lock" && r.Method == http.MethodPut && r.Header.Get("If-None-Match") == "*":
					lockEnd = r.End
				case key == ".empctl/deploy.lock" && r.Method == http.MethodDelete:
					unlock = r.Start
				case key == own && r.Method == http.MethodPut && r.Header.Get("If-Match") == "":
					created = r.End
				case key == own && r.Method == http.MethodPut:
					published = r.Start
				case r.Method == http.MethodPut || r.Method == http.MethodPost:
					if firstUpload == 0 && r.Method == http.MethodPut {
						firstUpload = r.Start
					}
					if key == "index.html" {
						indexEnd = r.End
					}
					lastWrite = max(lastWrite, r.End)
				}
			}
			for _, r := range s.proxy.Requests() {
				if r.S3Key(bucket) != ".empctl/deploy.lock" && r.Start < lockEnd {
					t.Errorf("%s %s started (%d) before the lock was held (%d)", r.Method, r.Path, r.Start, lockEnd)
				}
			}
			if created == 0 || firstUpload == 0 || created > firstUpload {
				t.Errorf("the manifest was written by %d, the first upload started at %d: want the manifest first", created, firstUpload)
			}
			if published == 0 || published < indexEnd {
				t.Errorf("the published manifest started at %d, index.html ended at %d: want it after", published, indexEnd)
			}
			if unlock == 0 || unlock < lastWrite {
				t.Errorf("the lock was released at %d, before the last upload or deletion ended (%d)", unlock, lastWrite)
			}
			if m, err := s3sync.Live(context.Background(), s.direct, bucket); err != nil || m.Release != r2.Release {
				t.Errorf("live release %v (%v), want %s", m, err, r2.Release)
			}

			// No change: nothing written, not even the manifest.
			s.proxy.Reset()
			if res := s.deploy(t, build(t, "v2"), cache, keep); !res.Live {
				t.Errorf("an identical deploy was not live: %+v", res)
			}
			for _, r := range s.proxy.Requests() {
				if r.Method != http.MethodGet && r.S3Key(bucket) != ".empctl/deploy.lock" {
					t.Errorf("an identical deploy sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// TestCutAtAnyRequest cuts a deploy at each of its requests in turn: every
// time, the live index.html has all its files, every file in the bucket is in
// a manifest (none orphaned), and the rerun completes the deploy.
func TestCutAtAnyRequest(t *testing.T) {
	for _, mode := range cacheModes {
		t.Run(mode.name, func(t *testing.T) {
			s := newSite(t)
			cache := withCache(t, mode.cache)
			keep := func(o *s3sync.Options) { o.Keep = 1 }
			v1, v2 := build(t, "v1"), build(t, "v2")
			// From the second request: a cut during the lock's own PUT can
			// leave a lock this (live) process holds (TestLeftoverLocks).
			for n := 2; ; n++ {
				if n > 200 {
					t.Fatal("the deploy was still being cut after 200 requests")
				}
				s.deploy(t, v1, cache, keep)
				ctx, cancel := context.WithCancel(context.Background())
				var mu sync.Mutex
				seen := 0
				s.proxy.SetHook(func(*http.Request) (int, string) {
					mu.Lock()
					defer mu.Unlock()
					if seen++; seen == n {
						cancel()
					}
					return 0, ""
				})
				_, err := s.try(ctx, v2, cache, keep)
				s.proxy.SetHook(nil)
				cancel()
				s.checkIndexWhole(t)
				s.checkRecorded(t)
				if err == nil {
					break // the cut came after the deploy's last request
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cut at request %d: %v", n, err)
				}
				if res := s.deploy(t, v2, cache, keep); !strings.Contains(s.get(t, "index.html"), "v2") {
					t.Fatalf("the rerun after a cut at request %d did not publish v2: %+v", n, res)
				}
				s.checkIndexWhole(t)
				s.checkRecorded(t)
				if t.Failed() {
					t.Fatalf("after a cut at request %d", n)
				}
			}
		})
	}
}

// TestPublishedManifestAfterUnlock: the published manifest may land after
// the lock is released; if another deploy has meanwhile expired the release
// (deleting its manifest) or published the same build again, the late write
// is refused and brings nothing back.
func TestPublishedManifestAfterUnlock(t *testing.T) {
	for _, next := range []struct {
		name    string
		version string
		keep    int
	}{{"a newer build expires it", "v3", 1}, {"the same build again", "v2", 3}} {
		t.Run(next.name, func(t *testing.T) {
			s := newSite(t)
			s.deploy(t, build(t, "v1"))
			reached, proceed := make(chan struct{}), make(chan struct{})
			var once sync.Once
			s.proxy.SetHook(func(r *http.Request) (int, string) {
				if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/.empctl/releases/") && r.Header.Get("If-None-Match") == "" {
					once.Do(func() {
						close(reached)
						select {
						case <-proceed:
						case <-time.After(2 * time.Minute):
						}
					})
				}
				return 0, ""
			})
			type outcome struct {
				res *s3sync.Result
				err error
			}
			first := make(chan outcome, 1)
			go func() {
				res, err := s.try(context.Background(), build(t, "v2"))
				first <- outcome{res, err}
			}()
			select {
			case <-reached:
			case o := <-first:
				t.Fatalf("the deploy ended (%v) without publishing its manifest", o.err)
			case <-time.After(2 * time.Minute):
				t.Fatal("the deploy did not publish its manifest within 2 minutes")
			}
			// The lock goes meanwhile; the next deploy (straight to moto)
			// takes it as soon as it is gone.
			var second *s3sync.Result
			nextStart := time.Now() // after the first deploy dated its release
			deadline := time.Now().Add(2 * time.Minute)
			for {
				res, err := s3sync.Deploy(context.Background(), s.direct, s3sync.Options{Bucket: bucket, Dir: build(t, next.version), Extra: prodConfig, Owner: "next", Keep: next.keep})
				if err == nil {
					second = res
					break
				}
				if !errors.Is(err, s3sync.ErrLocked) || time.Now().After(deadline) {
					t.Fatalf("the next deploy: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			close(proceed)
			o := <-first
			if o.err != nil {
				t.Fatalf("the first deploy: %v", o.err)
			}
			live, err := s3sync.Live(context.Background(), s.direct, bucket)
			if err != nil || live.Release != second.Release || live.Published == nil {
				t.Fatalf("live release %+v (%v), want the next deploy's %s", live, err, second.Release)
			}
			if next.keep == 1 && slices.Contains(s.keys(t), ".empctl/releases/"+o.res.Release+".json") {
				t.Error("the late published manifest brought back an expired release's record")
			}
			if next.version == "v2" && !live.Published.After(nextStart) {
				t.Error("the late published manifest replaced the next deploy's")
			}
			s.checkIndexWhole(t)
			s.checkRecorded(t)
		})
	}
}

// checkRecorded fails unless every file of the site is in some release
// manifest, so that none is orphaned.
func (s *site) checkRecorded(t *testing.T) {
	t.Helper()
	recorded := map[string]bool{}
	keys := s.keys(t)
	for _, k := range keys {
		if !strings.HasPrefix(k, ".empctl/releases/") {
			continue
		}
		var m s3sync.Manifest
		if err := json.Unmarshal([]byte(s.get(t, k)), &m); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for f := range m.Files {
			recorded[f] = true
		}
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, ".empctl/") && !recorded[k] {
			t.Errorf("%s is in the bucket but in no release manifest", k)
		}
	}
}
