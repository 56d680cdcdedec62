package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/pkg/testenv"
)

// TestReplicasShareSessions runs three servers on one database, as in
// production (MariaDB) and in the local environment (one SQLite file): a
// token issued by one replica works on the others, and a logout on one is
// effective on all at once.
func TestReplicasShareSessions(t *testing.T) {
	for name, dbURL := range map[string]func(*testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "shared.db") },
		"mariadb": func(t *testing.T) string {
			// The mysql:// URL form, as a deployment would write it.
			cfg, err := mysql.ParseDSN(testenv.MySQLDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			return (&url.URL{Scheme: "mysql", User: url.UserPassword(cfg.User, cfg.Passwd), Host: cfg.Addr, Path: "/" + cfg.DBName}).String()
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": dbURL(t), "DEMO_EMAIL": "demo@example.com", "DEMO_PASSWORD": "demo passphrase"}
			replicas := make([]*started, 3)
			errs := make([]error, 3)
			var wg sync.WaitGroup
			for i := range replicas {
				wg.Go(func() { replicas[i], errs[i] = startServer(t, env) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: %v", i, err)
				}
			}
			url := func(i int, path string) string { return "http://" + replicas[i].addr + path }

			res, err := http.Post(url(0, "/api/login"), "application/json", strings.NewReader(`{"email":"demo@example.com","password":"demo passphrase"}`))
			if err != nil {
				t.Fatal(err)
			}
			var login struct{ Token string }
			_ = json.NewDecoder(res.Body).Decode(&login)
			res.Body.Close()
			if res.StatusCode != 200 || login.Token == "" {
				t.Fatalf("login: %d", res.StatusCode)
			}
			call := func(i int, method, path string) int {
				req, _ := http.NewRequest(method, url(i, path), nil)
				req.Header.Set("Authorization", "Bearer "+login.Token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for i := range replicas {
				if code := call(i, "GET", "/api/me"); code != 200 {
					t.Fatalf("replica %d: /api/me %d", i, code)
				}
			}
			if code := call(1, "POST", "/api/logout"); code != http.StatusNoContent {
				t.Fatalf("logout: %d", code)
			}
			for i := range replicas {
				if code := call(i, "GET", "/api/me"); code != http.StatusUnauthorized {
					t.Fatalf("replica %d still accepts a revoked token: %d", i, code)
				}
			}
		})
	}
}
