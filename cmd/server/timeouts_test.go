package main

import (
	"log/slog"
	"net/http"
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
