package server

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// dbProxy forwards TCP to the test MariaDB and can take it away in the two
// ways a database goes: down (connections reset, new ones refused at once, as
// when the server stops) or unreachable (bytes vanish and nothing answers, as
// in a network partition or a failover in progress). Restoring closes every
// connection made before, as the real events do.
type dbProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   proxyMode
	conns  []net.Conn
	downOn []byte // see downAfter
}

type proxyMode int

const (
	proxyOpen proxyMode = iota
	proxyDown
	proxyUnreachable
)

func newDBProxy(t *testing.T, target string) *dbProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target}
	t.Cleanup(func() {
		_ = ln.Close()
		p.set(proxyDown)
	})
	go p.serve()
	return p
}

func (p *dbProxy) addr() string { return p.ln.Addr().String() }

func (p *dbProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		if mode == proxyDown {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		if mode == proxyUnreachable {
			go func() { _, _ = io.Copy(io.Discard, c) }() // swallow, never answer
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, up)
		p.mu.Unlock()
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

// pipe copies while the proxy is open and drops what arrives otherwise.
func (p *dbProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			open := p.mode == proxyOpen
			down := open && p.downOn != nil && bytes.Contains(buf[:n], p.downOn)
			if down {
				// Down before this answer is delivered: whatever the client
				// sends next is dropped, never answered.
				p.mode, p.downOn = proxyDown, nil
			}
			p.mu.Unlock()
			if open {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if down {
				p.set(proxyDown)
			}
		}
		if err != nil {
			break
		}
	}
	_ = dst.Close()
	_ = src.Close()
}

// set switches mode. Going down or back open closes every connection made
// so far; becoming unreachable keeps them open but silent.
func (p *dbProxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if m == proxyUnreachable {
		return
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// downAfter takes the database down as soon as it has answered with a packet
// holding marker: that answer reaches the client, the next query does not.
func (p *dbProxy) downAfter(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.downOn = []byte(marker)
}
