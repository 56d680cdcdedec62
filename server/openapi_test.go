package server

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIDocumentCoversEveryRoute: the document has exactly the routes
// of routes.go, so a route added without its description fails here.
func TestOpenAPIDocumentCoversEveryRoute(t *testing.T) {
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`mux\.Handle\("([A-Z]+) ([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		routes = append(routes, m[1]+" "+m[2])
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(documented)
	if len(routes) < 10 || !slices.Equal(routes, documented) {
		t.Errorf("routes.go has\n  %s\nserver/openapi.json documents\n  %s", strings.Join(routes, "\n  "), strings.Join(documented, "\n  "))
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/api/openapi.json", "", nil)
	h.expect(r, http.StatusOK, "")
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is not valid: %v", err)
	}
	if doc.Info.Version != "v9.9.9-test" {
		t.Errorf("info.version %q, want the build's v9.9.9-test", doc.Info.Version)
	}
	etag := r.header.Get("ETag")
	if !strings.HasPrefix(r.header.Get("Cache-Control"), "public, max-age=") || etag == "" {
		t.Errorf("not cacheable: Cache-Control %q, ETag %q", r.header.Get("Cache-Control"), etag)
	}

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		req, _ := http.NewRequest("GET", h.http.URL+"/api/openapi.json", nil)
		req.Header.Set("If-None-Match", inm)
		if r := h.send(req); r.status != http.StatusNotModified || len(r.body) != 0 || r.header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: status %d, ETag %q, %d bytes; want 304, the same ETag, no body", inm, r.status, r.header.Get("ETag"), len(r.body))
		}
	}
	req, _ := http.NewRequest("GET", h.http.URL+"/api/openapi.json", nil)
	req.Header.Set("If-None-Match", `"stale"`)
	h.expect(h.send(req), http.StatusOK, "")

	// Another build serves another version under another ETag.
	other := newHarnessOn(t, sqliteTarget(t), func(d *Deps) { d.Build.Version = "v10.0.0" })
	r2 := other.do("GET", "/api/openapi.json", "", nil)
	if r2.header.Get("ETag") == etag || !strings.Contains(string(r2.body), `"version":"v10.0.0"`) {
		t.Errorf("another build's document: ETag %q (first %q), body %.200s", r2.header.Get("ETag"), etag, r2.body)
	}
}

// TestDriftCheckRefusesUndocumented: the check every harness runs catches an
// undocumented status, field, error code, content type and missing header.
func TestDriftCheckRefusesUndocumented(t *testing.T) {
	router, err := apiRouter()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	good := h.do("GET", "/api/version", "", nil)
	check := func(method, path string, status int, contentType, body string, drop string) error {
		req, _ := http.NewRequest(method, "http://localhost"+path, nil)
		rec := httptest.NewRecorder()
		w := &teeWriter{ResponseWriter: rec}
		maps.Copy(w.Header(), good.header)
		w.Header().Set("Content-Type", contentType)
		w.Header().Del(drop)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return validateResponse(router, req, w, newStatusSet()) // made up: not a status the server produced
	}
	version := `{"version":"v1","commit":"c","platform":"p"}`
	if err := check("GET", "/api/version", 200, "application/json", version, ""); err != nil {
		t.Fatalf("a documented response was refused: %v", err)
	}
	for name, err := range map[string]error{
		"status":       check("GET", "/api/version", 418, "application/json", version, ""),
		"field":        check("GET", "/api/version", 200, "application/json", `{"version":"v1","commit":"c","platform":"p","secret":"x"}`, ""),
		"content type": check("GET", "/api/version", 200, "text/html", version, ""),
		"header":       check("GET", "/api/version", 200, "application/json", version, "X-Content-Type-Options"),
		"error code":   check("GET", "/api/me", 401, "application/json", `{"error":{"code":"not_found","message":"m"}}`, ""),
		"unrouted":     check("GET", "/api/nope", 200, "application/json", `{}`, ""),
	} {
		if err == nil {
			t.Errorf("an undocumented %s passed the drift check", name)
		}
	}
}

// TestDatabaseOutageAnswersAsDocumented: every operation whose document
// says it may answer 503 database_unavailable does so with the database
// gone (the drift check validates each answer), and no other does.
func TestDatabaseOutageAnswersAsDocumented(t *testing.T) {
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	id, token := h.user("ada@example.com", "1990-12-10")
	bodies := map[string]any{
		"signUp":         signUpBody("new@example.com"),
		"login":          map[string]string{"email": "ada@example.com", "password": "correct horse battery"},
		"patchMe":        map[string]string{"lastName": "King"},
		"changePassword": map[string]string{"currentPassword": "correct horse battery", "newPassword": "another long passphrase"},
	}
	_ = h.store.Close()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			res := op.Responses.Status(http.StatusServiceUnavailable)
			documented := res != nil && strings.Contains(res.Ref, "Unavailable")
			r := h.do(method, strings.ReplaceAll(path, "{id}", strconv.FormatInt(id, 10)), token, bodies[op.OperationID])
			unavailable := r.status == http.StatusServiceUnavailable && r.errorCode(t) == "database_unavailable"
			if documented != unavailable {
				t.Errorf("%s %s without a database: %d %s (documented database_unavailable: %v)", method, path, r.status, r.body, documented)
			}
		}
	}
}
