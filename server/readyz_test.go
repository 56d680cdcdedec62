package server

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// cutProxy forwards TCP to the test MariaDB until cut, which closes its
// listener and every connection: the database becomes unreachable, as when
// RDS fails over or the network drops.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

// TestReadinessFailsWhenMySQLIsUnreachable: /readyz turns 503 when the
// database stops answering, while /healthz stays 200 (the process is fine;
// restarting it would not help).
func TestReadinessFailsWhenMySQLIsUnreachable(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, cfg.Addr)
	cfg.Addr = proxy.ln.Addr().String()
	h := newHarnessOn(t, store.Target{Driver: "mysql", DSN: cfg.FormatDSN()})
	h.expect(h.do("GET", "/readyz", "", nil), http.StatusOK, "")

	proxy.cut()
	r := h.do("GET", "/readyz", "", nil)
	h.expect(r, http.StatusServiceUnavailable, "not_ready")
	if !strings.Contains(string(r.body), "database") {
		t.Fatalf("readyz should say the database is the problem: %s", r.body)
	}
	h.expect(h.do("GET", "/healthz", "", nil), http.StatusOK, "")
}
