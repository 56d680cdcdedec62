package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, path, nil)
}

func TestAge(t *testing.T) {
	for _, tc := range []struct {
		birth, today string
		want         int
	}{
		{"1990-12-10", "2026-11-27", 35},
		{"1990-11-27", "2026-11-27", 36},
		{"2008-11-28", "2026-11-27", 17},
		{"2000-02-29", "2026-02-28", 25},
		{"2000-02-29", "2026-03-01", 26},
		{"2000-02-29", "2024-02-29", 24},
		{"2026-11-27", "2026-11-27", 0},
		{"garbage", "2026-11-27", 0},
	} {
		now, _ := time.Parse(dateLayout, tc.today)
		if got := age(tc.birth, now.Add(23*time.Hour)); got != tc.want {
			t.Errorf("age(%s) on %s = %d, want %d", tc.birth, tc.today, got, tc.want)
		}
	}
}

func TestThrottleWindow(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(3, time.Minute, c.Now)
	for i := range 3 {
		if w := th.retryAfter("k"); w != 0 {
			t.Fatalf("attempt %d throttled for %v", i, w)
		}
		th.fail("k")
		c.Advance(10 * time.Second)
	}
	if w := th.retryAfter("k"); w != 30*time.Second {
		t.Fatalf("retryAfter = %v, want 30s (the oldest failure ages out)", w)
	}
	if th.retryAfter("other") != 0 {
		t.Fatal("keys are not independent")
	}
	c.Advance(30 * time.Second)
	if w := th.retryAfter("k"); w != 0 {
		t.Fatalf("still throttled after the window: %v", w)
	}
	th.fail("k")
	th.reset("k")
	if len(th.fails) != 0 {
		t.Fatalf("reset left %v", th.fails)
	}
	// Stale keys are swept, so attacker-chosen emails cannot grow memory forever.
	for i := range 2000 {
		th.fail(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	c.Advance(2 * time.Minute)
	for i := range 1100 {
		th.fail(time.Duration(i).String() + "new")
	}
	if len(th.fails) > 1100+1 {
		t.Fatalf("throttle keeps %d keys after the window", len(th.fails))
	}
	if seconds(1500*time.Millisecond) != 2 {
		t.Fatal("Retry-After must round up")
	}
}

func TestClientAddr(t *testing.T) {
	for _, tc := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.1:5555", nil, "192.0.2.1"},
		{"[::1]:5555", nil, "::1"},
		{"10.0.0.5:80", []string{"198.51.100.7"}, "198.51.100.7"},
		{"10.0.0.5:80", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{"10.0.0.5:80", []string{"1.2.3.4", "198.51.100.8"}, "198.51.100.8"},
		{"10.0.0.5:80", []string{" "}, "10.0.0.5"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r); got != tc.want {
			t.Errorf("clientAddr(%s, %v) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}
