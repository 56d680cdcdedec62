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
