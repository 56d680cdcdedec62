package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// listen opens the API's socket at addr, or takes the listening socket a
// supervisor handed over as file descriptor LISTEN_FD (3 for the first of
// exec.Cmd's ExtraFiles). The local stack binds each replica's port itself and
// hands it over, so that no other process can take the port between its choice
// and the server's start, and connections made meanwhile wait in the socket's
// backlog instead of being refused.
func listen(addr string, getenv func(string) string) (net.Listener, error) {
	s := getenv("LISTEN_FD")
	if s == "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listening on %s: %w (is PORT in use?)", addr, err)
		}
		return ln, nil
	}
	fd, err := strconv.Atoi(s)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("LISTEN_FD=%q: want the number (3 or more) of an inherited listening socket, or unset it to listen on HOST:PORT", s)
	}
	f := os.NewFile(uintptr(fd), "LISTEN_FD")
	defer func() { _ = f.Close() }() // the listener holds its own copy
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("LISTEN_FD=%d is not a listening socket (%w): unset it to listen on HOST:PORT", fd, err)
	}
	return ln, nil
}
