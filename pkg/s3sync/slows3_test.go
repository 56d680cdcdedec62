package s3sync_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// slowS3 is an S3 endpoint on loopback (gofakes3, in memory) that adds a
// fixed latency to every request, as the distance to a real S3 region does, so
// that how many requests run at once matters as it does against S3. It counts
// the files written to it, the deploy's own records aside.
type slowS3 struct {
	URL     string
	backend *s3mem.Backend
	uploads atomic.Int64
}

func newSlowS3(tb testing.TB, latency time.Duration) *slowS3 {
	tb.Helper()
	s := &slowS3{backend: s3mem.New()}
	fake := gofakes3.New(s.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	h := fake.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		if s.isUpload(r) {
			s.uploads.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// isUpload: a PutObject, or the start of a multipart upload, of a site file.
func (s *slowS3) isUpload(r *http.Request) bool {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(parts) < 2 || parts[1] == "" || strings.HasPrefix(parts[1], ".empctl/") {
		return false
	}
	q := r.URL.Query()
	return (r.Method == http.MethodPut && !q.Has("partNumber")) || (r.Method == http.MethodPost && q.Has("uploads"))
}

func (s *slowS3) bucket(tb testing.TB, name string) {
	tb.Helper()
	if err := s.backend.CreateBucket(name); err != nil {
		tb.Fatal(err)
	}
}
