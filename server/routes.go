package server

import "net/http"

// addRoutes is the whole API surface in one place.
func addRoutes(mux *http.ServeMux, s *api) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(s))
	mux.Handle("GET /healthz/deep", handleDeepHealth(s))
	mux.Handle("GET /metrics", handleMetrics(s))

	mux.Handle("GET /api/version", handleVersion(s))
	mux.Handle("GET /api/openapi.json", handleOpenAPI(s))
	mux.Handle("POST /api/users", handleSignUp(s))
	mux.Handle("POST /api/login", handleLogin(s))
	mux.Handle("POST /api/logout", requireAuth(s, handleLogout(s)))
	mux.Handle("GET /api/me", requireAuth(s, handleGetMe(s)))
	mux.Handle("PATCH /api/me", requireAuth(s, handlePatchMe(s)))
	mux.Handle("PUT /api/me/password", requireAuth(s, handleChangePassword(s)))
	mux.Handle("GET /api/users/{id}", requireAuth(s, handleGetUser(s)))
}
