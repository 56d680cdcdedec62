package trafficmix

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client makes the requests outside the measured load: preparing the
// users, auditing the writes and locking the users. Each is retried, so that
// a replica dying under the scenario does not fail the preparation or the
// audit. header goes on every request (a test route's).
type client struct {
	endpoint string
	header   http.Header
	hc       *http.Client
	// signUps is how many sign-ups a run of the mix makes, for the
	// throttle's message.
	signUps int
}

func newClient(endpoint string, header http.Header, signUps int) *client {
	return &client{endpoint: endpoint, header: header, signUps: signUps, hc: &http.Client{Timeout: 15 * time.Second}}
}

const auditAttempts = 5

// answer is an API answer's status and, for a 4xx, its error
// ({"error": {"code", "message"}}) and Retry-After.
type answer struct {
	Status     int
	Code       string
	Message    string
	RetryAfter string
}

// String says what the app answered and, where the run can tell, what to do.
func (r answer) explain(signUps int) string {
	switch {
	case r.Status == http.StatusTooManyRequests && r.Code == "too_many_sign_ups":
		return fmt.Sprintf("the app's sign-up throttle answered HTTP 429 (%s): this address has used its hour's sign-ups "+
			"(SIGN_UPS_PER_HOUR, 20 by default, counted over all tasks and kept across deploys; a run makes up to %d). "+
			"Wait %s for the throttle to let sign-ups through again, then run again. empctl sends the environment's operator key "+
			"so that its runs count against the operator allowance instead (server/README.md, \"Operator allowance\"): "+
			"if a warning above says it could not read the key, fix that first",
			r.Message, signUps, retryIn(r.RetryAfter))
	case r.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("the app throttled this address: HTTP 429 (%s); wait %s and run again", r.Message, retryIn(r.RetryAfter))
	case r.Message != "":
		return fmt.Sprintf("HTTP %d %s: %s", r.Status, r.Code, r.Message)
	}
	return fmt.Sprintf("HTTP %d %s", r.Status, http.StatusText(r.Status))
}

func retryIn(seconds string) string {
	if seconds == "" {
		return "up to an hour"
	}
	return seconds + " seconds (Retry-After)"
}

// do sends the request (body as JSON when not nil) and decodes a 2xx answer
// into out. It retries on a transport error or a 5xx, and returns the last
// status; err is set only when no attempt got an answer below 500.
func (c *client) do(ctx context.Context, method, path string, header http.Header, body, out any) (int, error) {
	r, err := c.call(ctx, method, path, header, body, out)
	return r.Status, err
}

// call is do, answering a 4xx's error too.
func (c *client) call(ctx context.Context, method, path string, header http.Header, body, out any) (answer, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return answer{}, err
		}
	}
	var last error
	for attempt := range auditAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return answer{}, ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, bytes.NewReader(b))
		if err != nil {
			return answer{}, err
		}
		for _, h := range []http.Header{c.header, header} {
			for k, v := range h {
				req.Header[k] = v
			}
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
		r := answer{Status: resp.StatusCode}
		if resp.StatusCode < 300 && out != nil {
			if err := json.Unmarshal(rb, out); err != nil {
				return r, fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
			}
		}
		if resp.StatusCode >= 400 {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			_ = json.Unmarshal(rb, &e)
			r.Code, r.Message, r.RetryAfter = e.Error.Code, e.Error.Message, resp.Header.Get("Retry-After")
		}
		return r, nil
	}
	return answer{}, fmt.Errorf("%s %s: no answer after %d attempts: %w", method, path, auditAttempts, last)
}

func (c *client) get(ctx context.Context, path, token string, out any) (int, error) {
	return c.do(ctx, http.MethodGet, path, bearer(token), nil, out)
}

// user signs up a user of this run and signs in, returning the token.
func (c *client) user(ctx context.Context, name, password string) (string, error) {
	email := name + "@example.com"
	user := map[string]string{"email": email, "password": password, "firstName": name, "lastName": "Verify", "birthDate": "1990-01-01"}
	// The key makes a retried sign-up answer as the first did; it is random,
	// as a client's should be, so that it says nothing about the user.
	key, err := idempotencyKey()
	if err != nil {
		return "", err
	}
	r, err := c.call(ctx, http.MethodPost, "/api/users", http.Header{"Idempotency-Key": {key}}, user, nil)
	switch {
	case err != nil:
		return "", fmt.Errorf("signing up %s: %w", email, err)
	case r.Status != http.StatusCreated:
		return "", fmt.Errorf("signing up %s: %s", email, r.explain(c.signUps))
	}
	var login struct {
		Token string `json:"token"`
	}
	r, err = c.call(ctx, http.MethodPost, "/api/login", nil, map[string]string{"email": email, "password": password}, &login)
	switch {
	case err != nil:
		return "", fmt.Errorf("signing in as %s: %w", email, err)
	case r.Status != http.StatusOK:
		return "", fmt.Errorf("signing in as %s: %s", email, r.explain(c.signUps))
	case login.Token == "":
		return "", fmt.Errorf("signing in as %s: HTTP 200 without a token: is %s the app's API?", email, c.endpoint)
	}
	return login.Token, nil
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// idempotencyKey is a random key for one write.
func idempotencyKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating an idempotency key: %w", err)
	}
	return hex.EncodeToString(b), nil
}
