package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxBodyBytes bounds every request body, as the 413 message says. The
// largest the API takes, a sign-up, is under 5 KiB even with every field at
// its limit and every character escaped as \uXXXX; a bound this small also
// keeps an oversized field from costing CPU (server/README.md).
const maxBodyBytes = 8 << 10

// apiError is the one error shape of the API; Code values are a contract
// documented in server/openapi.json.
type apiError struct {
	Status     int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	RetryAfter int               `json:"-"` // seconds, for 429
}

func errInternal() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; see the server log"}
}

func errUnauthorized() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "sign in first: send Authorization: Bearer <token> with a valid token"}
}

func errNotFound(what string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found"}
}

func errValidation(fields map[string]string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "some fields are invalid", Fields: fields}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error; see the server log"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// decodeJSON reads exactly one JSON object of at most 1 MiB into dst (a
// pointer to a struct), rejecting unknown fields, so a typo in a field name is
// an error, not a no-op.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) *apiError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the body as JSON with Content-Type: application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(body) {
		// The decoder would silently turn bad bytes into U+FFFD.
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body is not valid UTF-8; send text encoded as UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body must hold a single JSON object and nothing after it"}
	}
	// The decoder takes null for a struct as "no fields": PATCH /api/me
	// answered 200 to it (Schemathesis found it).
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body must be a JSON object, not null"}
	}
	return exactFieldNames(body, dst)
}

// exactFieldNames rejects keys that encoding/json matched case-insensitively
// ("EMAIL" for "email"): the API's field names are exact.
func exactFieldNames(body []byte, dst any) *apiError {
	var keys map[string]json.RawMessage
	// Cannot fail: Decode accepted the body and it is not null, so it is an
	// object.
	_ = json.Unmarshal(body, &keys)
	names := fieldNames(reflect.TypeOf(dst).Elem())
	var bad []string
	for k := range keys {
		if !slices.Contains(names, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_json",
		Message: fmt.Sprintf("unknown field %q (field names are case-sensitive: %s)", bad[0], strings.Join(names, ", "))}
}

var fieldNameCache sync.Map // reflect.Type -> []string

// fieldNames lists the JSON names of a request struct's fields.
func fieldNames(t reflect.Type) []string {
	if v, ok := fieldNameCache.Load(t); ok {
		return v.([]string)
	}
	var names []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	fieldNameCache.Store(t, names)
	return names
}

func jsonError(err error) *apiError {
	bad := func(msg string) *apiError {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: msg}
	}
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		badType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "the body is larger than 8 KiB; send a smaller JSON object (see the field limits in the API documentation)"}
	case errors.Is(err, io.EOF):
		return bad("the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad("the JSON body ends too early")
	case errors.As(err, &syntax):
		return bad(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &badType):
		if badType.Field == "" {
			return bad("the body must be a JSON object")
		}
		return bad(fmt.Sprintf("field %q must be a JSON %s", badType.Field, badType.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return bad(strings.TrimPrefix(err.Error(), "json: ") + " (the field names are in the API description, GET /api/openapi.json)")
	default:
		return bad("invalid JSON body")
	}
}
