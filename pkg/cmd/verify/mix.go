package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
)

// mix is the realistic request mix: the version endpoint, the signed-in
// user's profile, and the webapp's index.html when a webapp is served.
type mix struct {
	targets []loadtest.Target
	skipped []string
}

func (m mix) names() []string {
	out := make([]string, len(m.targets))
	for i, t := range m.targets {
		out[i] = t.Name
	}
	return out
}

// prepareMix signs up a fresh user and signs in, for the authenticated requests.
func prepareMix(ctx context.Context, endpoint string) (mix, error) {
	hc := &http.Client{Timeout: 15 * time.Second}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	email := "verify-" + hex.EncodeToString(b) + "@example.com"
	password := "zd-" + hex.EncodeToString(b) + "-pw"
	user := map[string]string{"email": email, "password": password, "firstName": "Zero", "lastName": "Downtime", "birthDate": "1990-01-01"}
	if err := postJSON(ctx, hc, endpoint+"/api/users", user, http.StatusCreated, nil); err != nil {
		return mix{}, fmt.Errorf("signing up the load test's user: %w", err)
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := postJSON(ctx, hc, endpoint+"/api/login", map[string]string{"email": email, "password": password}, http.StatusOK, &login); err != nil || login.Token == "" {
		return mix{}, fmt.Errorf("signing in as the load test's user: %v", err)
	}
	m := mix{targets: []loadtest.Target{
		{Name: "GET /api/version", Method: http.MethodGet, URL: endpoint + "/api/version", Weight: 2},
		{Name: "GET /api/me (signed in)", Method: http.MethodGet, URL: endpoint + "/api/me", Header: http.Header{"Authorization": {"Bearer " + login.Token}}, Weight: 2},
	}}
	if ok, why := servesWebapp(ctx, hc, endpoint); ok {
		m.targets = append(m.targets, loadtest.Target{Name: "GET /index.html", Method: http.MethodGet, URL: endpoint + "/index.html", Weight: 1})
	} else {
		m.skipped = append(m.skipped, "GET /index.html: "+why)
	}
	return m, nil
}

func servesWebapp(ctx context.Context, hc *http.Client, endpoint string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/index.html", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || ct != "text/html" {
		return false, fmt.Sprintf("no webapp is served (%s, %s)", resp.Status, resp.Header.Get("Content-Type"))
	}
	return true, ""
}

func postJSON(ctx context.Context, hc *http.Client, url string, body any, want int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s answered %s: %s", url, resp.Status, bytes.TrimSpace(rb))
	}
	if out != nil {
		return json.Unmarshal(rb, out)
	}
	return nil
}
