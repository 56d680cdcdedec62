package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestPasswordLimitIsInBytes: bcrypt reads 72 bytes, and JSON Schema's
// maxLength counts characters. The server counts bytes; the document says so
// (x-empctl-max-bytes and the description) beside a maxLength no larger; a
// password within maxLength but over 72 bytes gets a 422 that says why.
func TestPasswordLimitIsInBytes(t *testing.T) {
	doc, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	pw := doc.Components.Schemas["Password"].Value
	if pw.MaxLength == nil || *pw.MaxLength != maxPasswordBytes || pw.Extensions["x-empctl-max-bytes"] != float64(maxPasswordBytes) ||
		!strings.Contains(pw.Description, "72 bytes in UTF-8") {
		t.Fatalf("the document's Password (maxLength %v, x-empctl-max-bytes %v, %q) does not say the server's limit of %d bytes",
			pw.MaxLength, pw.Extensions["x-empctl-max-bytes"], pw.Description, maxPasswordBytes)
	}

	h := newHarness(t)
	b := signUpBody("accents@example.com")
	b["password"] = strings.Repeat("é", 72) // 72 characters, 144 bytes
	r := h.do("POST", "/api/users", "", b)
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if msg := r.field(t, "password"); !strings.Contains(msg, "72 bytes") || !strings.Contains(msg, "144 bytes in 72 characters") {
		t.Fatalf("password message %q does not say the limit is in bytes and what this one has", msg)
	}
	b["password"] = strings.Repeat("é", 36) // 72 bytes
	h.expect(h.do("POST", "/api/users", "", b), http.StatusCreated, "")

	token := h.login("accents@example.com", b["password"])
	r = h.do("PUT", "/api/me/password", token, map[string]string{"currentPassword": b["password"], "newPassword": strings.Repeat("密", 25)}) // 75 bytes
	h.expect(r, http.StatusUnprocessableEntity, "validation_failed")
	if msg := r.field(t, "newPassword"); !strings.Contains(msg, "75 bytes in 25 characters") {
		t.Fatalf("newPassword message %q does not give its size in bytes", msg)
	}
}
