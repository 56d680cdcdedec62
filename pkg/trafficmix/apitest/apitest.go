// Package apitest runs the real API in-process on a SQLite file of its own,
// for the tests of the request mix and its users (verify, the gate).
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/server"
	"github.com/empctl/empctl/server/store"
)

// Handler is the real API with the settings of deps (store, logger and
// bcrypt cost filled in).
func Handler(t testing.TB, deps server.Deps) http.Handler {
	t.Helper()
	st, _, err := store.Open(context.Background(), store.Target{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "api.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	deps.Store, deps.Logger, deps.BcryptCost = st, slog.New(slog.NewTextHandler(io.Discard, nil)), bcrypt.MinCost
	return server.NewServer(deps)
}

// Server serves Handler and answers its URL.
func Server(t testing.TB, deps server.Deps) string {
	t.Helper()
	srv := httptest.NewServer(Handler(t, deps))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Login answers the status of POST /api/login.
func Login(t testing.TB, endpoint, email, password string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(endpoint+"/api/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}
