package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// auditClient makes the requests outside the measured load: preparing the
// users and auditing the writes. Each is retried, so that a replica dying
// under the scenario does not fail the preparation or the audit.
type auditClient struct {
	endpoint string
	hc       *http.Client
}

func newAuditClient(endpoint string) *auditClient {
	return &auditClient{endpoint: endpoint, hc: &http.Client{Timeout: 15 * time.Second}}
}

const auditAttempts = 5

// do sends the request (body as JSON when not nil) and decodes a 2xx answer
// into out. It retries on a transport error or a 5xx, and returns the last
// status; err is set only when no attempt got an answer below 500.
func (c *auditClient) do(ctx context.Context, method, path string, header http.Header, body, out any) (int, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	var last error
	for attempt := range auditAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			last = err
			continue
		}
		rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if resp.StatusCode >= 500 {
			last = fmt.Errorf("%s %s answered %s: %s", method, path, resp.Status, bytes.TrimSpace(rb))
			continue
		}
		if resp.StatusCode < 300 && out != nil {
			if err := json.Unmarshal(rb, out); err != nil {
				return resp.StatusCode, fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
			}
		}
		return resp.StatusCode, nil
	}
	return 0, fmt.Errorf("%s %s: no answer after %d attempts: %w", method, path, auditAttempts, last)
}

func (c *auditClient) get(ctx context.Context, path, token string, out any) (int, error) {
	return c.do(ctx, http.MethodGet, path, bearer(token), nil, out)
}

// user signs up a user of this run and signs in, returning the token.
func (c *auditClient) user(ctx context.Context, name, password string) (string, error) {
	email := name + "@example.com"
	user := map[string]string{"email": email, "password": password, "firstName": name, "lastName": "Verify", "birthDate": "1990-01-01"}
	// The key makes a retried sign-up answer as the first did.
	if code, err := c.do(ctx, http.MethodPost, "/api/users", http.Header{"Idempotency-Key": {name}}, user, nil); err != nil || code != http.StatusCreated {
		return "", fmt.Errorf("signing up %s: HTTP %d %v", email, code, err)
	}
	var login struct {
		Token string `json:"token"`
	}
	if code, err := c.do(ctx, http.MethodPost, "/api/login", nil, map[string]string{"email": email, "password": password}, &login); err != nil || login.Token == "" {
		return "", fmt.Errorf("signing in as %s: HTTP %d %v", email, code, err)
	}
	return login.Token, nil
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}
