package balancer

import (
	"io"
	"sync/atomic"
)

// trackedBody remembers whether any byte was read and ignores Close, so a
// request body can be sent again when the first attempt never connected.
type trackedBody struct {
	r    io.ReadCloser
	read atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.read.Store(true)
	}
	return n, err
}

func (b *trackedBody) Close() error { return nil }

// doneBody ends the request's count in flight on its target once, when the
// response body is closed.
type doneBody struct {
	io.ReadCloser
	t      *target
	closed atomic.Bool
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	if b.closed.CompareAndSwap(false, true) {
		b.t.inflight.Add(-1)
	}
	return err
}
