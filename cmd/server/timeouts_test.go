package main

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHTTPServerTimeouts: every timeout is set (an unset one lets a slow
// client hold a connection forever), and idle connections outlive the AWS
// ALB's 60 s idle timeout, or the ALB reuses closed ones and answers 502.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if d <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
	if srv.IdleTimeout <= 60*time.Second {
		t.Errorf("IdleTimeout %v must be longer than the ALB's 60s", srv.IdleTimeout)
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout {
		t.Errorf("ReadHeaderTimeout %v exceeds ReadTimeout %v", srv.ReadHeaderTimeout, srv.ReadTimeout)
	}
	if srv.ErrorLog == nil {
		t.Error("the server's own errors would bypass the JSON log")
	}
}

// TestOversizedHeadersGet431: headers past 32 KB are refused with 431
// instead of being held in memory up to Go's default of 1 MiB, while the
// size real requests need passes.
func TestOversizedHeadersGet431(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	for size, want := range map[int]int{16 << 10: http.StatusOK, 64 << 10: http.StatusRequestHeaderFieldsTooLarge} {
		req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Padding", strings.Repeat("x", size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%d bytes of headers: %v", size, err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%d bytes of headers: %d, want %d", size, res.StatusCode, want)
		}
	}
}
