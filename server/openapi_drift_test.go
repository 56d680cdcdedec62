package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// apiDoc is server/openapi.json, loaded and validated once per test binary.
var apiDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("loading server/openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("server/openapi.json is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
})

var apiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := apiDoc()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

// driftCheck validates every response next sends against the document: an
// undocumented status, header, content type or field is recorded and fails
// the test that built the harness (when it ends, so a handler goroutine
// never reports to a finished test).
func driftCheck(t testing.TB, next http.Handler) http.Handler {
	t.Helper()
	return driftCheckInto(t, next, handlerTestStatuses)
}

// driftCheckInto is driftCheck recording each documented status it sees in
// seen.
func driftCheckInto(t testing.TB, next http.Handler, seen *statusSet) http.Handler {
	t.Helper()
	router, err := apiRouter()
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		failures []string
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range failures {
			t.Errorf("response does not match server/openapi.json: %s", f)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tee := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(tee, r)
		if err := validateResponse(router, r, tee, seen); err != nil {
			mu.Lock()
			failures = append(failures, fmt.Sprintf("%s %s -> %d: %v", r.Method, r.URL.Path, tee.statusCode(), err))
			mu.Unlock()
		}
	})
}

func validateResponse(router routers.Router, r *http.Request, res *teeWriter, seen *statusSet) error {
	if r.Method == http.MethodHead {
		return nil // Go serves HEAD with GET's handler, without a body
	}
	route, params, err := router.FindRoute(r)
	if err == nil && slices.Contains(slices.Collect(maps.Values(params)), "") {
		// kin-openapi's legacy router matches GET /api/users to
		// /api/users/{id} with an empty id (Schemathesis's unsupported-method
		// check found it); the server has no such route either.
		err = routers.ErrPathNotFound
	}
	if err != nil {
		// Only the API's own 404 and 405 may answer a path or method the
		// document does not have.
		return validateUnrouted(r, res)
	}
	seen.add(route.Method, route.Path, res.statusCode())
	key := responseKey(route, res)
	if _, ok := validated.Load(key); ok && requestIDPattern().MatchString(res.Header().Get("X-Request-Id")) {
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.statusCode(),
		Header:                 res.Header(),
		Body:                   io.NopCloser(bytes.NewReader(res.body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		return err
	}
	validated.Store(key, true)
	return nil
}

// validated holds the responses already found valid, keyed by all but their
// X-Request-Id: kin-openapi compiles the schemas on every call (about 1.5 ms
// a response on the 2-core VM), and the throttle tests' floods repeat the
// same few answers thousands of times.
var validated sync.Map

func responseKey(route *routers.Route, res *teeWriter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %d\n", route.Method, route.Path, res.statusCode())
	for _, name := range slices.Sorted(maps.Keys(res.Header())) {
		if name != "X-Request-Id" {
			fmt.Fprintf(&b, "%s: %q\n", name, res.Header()[name])
		}
	}
	b.Write(res.body.Bytes())
	return b.String()
}

// requestIDPattern is the document's pattern for X-Request-Id, which is all
// its schema says: the one header a cached response is checked for anew.
var requestIDPattern = sync.OnceValue(func() *regexp.Regexp {
	doc, _ := apiDoc()
	return regexp.MustCompile(doc.Components.Headers["X-Request-Id"].Value.Schema.Value.Pattern)
})

func validateUnrouted(r *http.Request, res *teeWriter) error {
	switch res.statusCode() {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		// ServeMux redirects a path with "//", "." or ".." segments to its
		// clean form (documented in info.description).
		loc, _, _ := strings.Cut(res.Header().Get("Location"), "?")
		if clean := path.Clean(r.URL.Path); loc != clean && loc != clean+"/" {
			return fmt.Errorf("redirect of %s to %q, not to its clean path", r.URL.Path, loc)
		}
		return nil
	}
	code := map[int]string{http.StatusNotFound: "not_found", http.StatusMethodNotAllowed: "method_not_allowed"}[res.statusCode()]
	if code == "" {
		return fmt.Errorf("status %d for a path or method the document does not have", res.statusCode())
	}
	doc, _ := apiDoc()
	var body any
	if err := json.Unmarshal(res.body.Bytes(), &body); err != nil {
		return err
	}
	if err := doc.Components.Schemas["Error"].Value.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
		return err
	}
	if got := body.(map[string]any)["error"].(map[string]any)["code"]; got != code {
		return fmt.Errorf("error code %v, want %s", got, code)
	}
	return nil
}

// teeWriter keeps a copy of the status and body it passes on.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *teeWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
