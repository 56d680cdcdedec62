package testenv

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// AWSProxy is a recording HTTP proxy between an AWS SDK client and an
// emulator (moto, the ECS fake, a registry standing in for ECR's): it records every request in the order they start and end,
// and a hook can answer a request itself (an error AWS would return) or act
// when one arrives (cancel the deploy that sent it).
type AWSProxy struct {
	URL string

	mu   sync.Mutex
	seq  int
	reqs []*ProxiedRequest
	hook func(*http.Request) (status int, body string)
}

// ProxiedRequest is one request through the proxy. Start and End order it
// against the others: a request with End < another's Start finished before
// that one began.
type ProxiedRequest struct {
	Method string
	// Path is the request path, unescaped (/bucket/key for S3 path-style).
	Path   string
	Query  url.Values
	Header http.Header
	// Body is a POST request's body (the JSON and query protocols' operation
	// and parameters, S3's and CloudFront's XML); other bodies are not kept.
	Body   []byte
	Status int
	Start  int
	End    int
}

// NewAWSProxy starts a proxy to target (an endpoint URL) for the test.
func NewAWSProxy(t testing.TB, target string) *AWSProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("proxy target %q: %v", target, err)
	}
	p := &AWSProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A client that gave up (a cancelled deploy) is expected here, not news.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Method == http.MethodPost && r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		p.mu.Lock()
		p.seq++
		rec := &ProxiedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, Start: p.seq}
		p.reqs = append(p.reqs, rec)
		hook := p.hook
		p.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if status, body := callHook(hook, r); status != 0 {
			sw.Header().Set("Content-Type", "application/xml")
			sw.WriteHeader(status)
			_, _ = sw.Write([]byte(body))
		} else {
			rp.ServeHTTP(sw, r)
		}
		p.mu.Lock()
		p.seq++
		rec.Status, rec.End = sw.status, p.seq
		p.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func callHook(hook func(*http.Request) (int, string), r *http.Request) (int, string) {
	if hook == nil {
		return 0, ""
	}
	return hook(r)
}

// SetHook makes hook see each request before it is forwarded; a non-zero
// status answers the request with status and body instead. nil removes it.
func (p *AWSProxy) SetHook(hook func(r *http.Request) (status int, body string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = hook
}

// Requests returns the requests so far, in the order they started.
func (p *AWSProxy) Requests() []ProxiedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ProxiedRequest, len(p.reqs))
	for i, r := range p.reqs {
		out[i] = *r
	}
	return out
}

// Reset forgets the requests recorded so far.
func (p *AWSProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = nil
}

// URL is the request's path and query, as sent.
func (r ProxiedRequest) URL() string {
	if len(r.Query) == 0 {
		return r.Path
	}
	return r.Path + "?" + r.Query.Encode()
}

// S3Key returns the object key of an S3 path-style request to bucket, or "".
func (r ProxiedRequest) S3Key(bucket string) string {
	key, ok := strings.CutPrefix(r.Path, "/"+bucket+"/")
	if !ok {
		return ""
	}
	return key
}

// AWSError is the XML body AWS's query and REST-XML services return for an
// error with code and message.
func AWSError(code, message string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + message + `</Message><RequestId>proxy</RequestId></Error>`
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
