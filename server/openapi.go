package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// openAPIDocument describes every route of routes.go; it is written by hand
// and held to the handlers by the drift test (openapi_drift_test.go).
//
//go:embed openapi.json
var openAPIDocument []byte

// servedDocument is the document as served: info.version set to the build's
// version, with an ETag of its hash.
type servedDocument struct {
	body []byte
	etag string
}

func newServedDocument(version string) (servedDocument, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		return servedDocument{}, fmt.Errorf("server/openapi.json: %w", err)
	}
	var info map[string]json.RawMessage
	if err := json.Unmarshal(doc["info"], &info); err != nil {
		return servedDocument{}, fmt.Errorf("server/openapi.json info: %w", err)
	}
	v, _ := json.Marshal(version) // a string always marshals
	info["version"] = v
	doc["info"], _ = json.Marshal(info)
	body, err := json.Marshal(doc)
	if err != nil {
		return servedDocument{}, fmt.Errorf("server/openapi.json: %w", err)
	}
	sum := sha256.Sum256(body)
	return servedDocument{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}, nil
}

// handleOpenAPI serves the document. It changes only with the build, so it
// may be cached for a while and revalidated with its ETag.
func handleOpenAPI(s *api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.openAPI
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("ETag", d.etag)
		if etagMatches(r.Header.Get("If-None-Match"), d.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(d.body)))
		_, _ = w.Write(d.body)
	})
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
