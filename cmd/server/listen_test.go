package main

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A socket handed over as LISTEN_FD is served, whatever PORT says; connections
// made before the server starts wait in its backlog.
func TestServesTheSocketHandedOver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close() // sock keeps the socket listening
	addr := ln.Addr().String()
	early, err := net.Dial("tcp", addr) // before the server runs: queued, not refused
	if err != nil {
		t.Fatalf("connecting before the server started: %v", err)
	}
	_ = early.Close()

	// The server owns (and closes) the descriptor it is given, as a child
	// process would: give it a copy of the test's.
	fd, err := syscall.Dup(int(sock.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	_ = sock.Close()
	s := start(t, map[string]string{"LISTEN_FD": strconv.Itoa(fd), "PORT": "1"})
	if s.addr != addr {
		t.Fatalf("listening on %s, want the socket handed over (%s)", s.addr, addr)
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d", res.StatusCode)
	}
}

func TestBadListenFD(t *testing.T) {
	for _, v := range []string{"x", "1", "999"} {
		_, err := listen("127.0.0.1:0", func(k string) string {
			if k == "LISTEN_FD" {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "LISTEN_FD") || !strings.Contains(err.Error(), "unset it") {
			t.Errorf("LISTEN_FD=%s: %v, want an error naming it and what to do", v, err)
		}
	}
}
