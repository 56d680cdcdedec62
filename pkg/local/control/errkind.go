package control

import (
	"context"
	"errors"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/local/stack"
)

// The kinds of error the control socket sends, each naming the sentinel the
// error matches on both sides.
var errorKinds = []struct {
	kind     string
	sentinel error
}{
	{"rollout-failed", env.ErrRolloutFailed},
	{"same-build", env.ErrSameBuild},
	{"cancelled", context.Canceled},
	{"closing", stack.ErrClosing},
	{"no-previous", stack.ErrNoPrevious},
	{"no-target", stack.ErrNoTarget},
	{"not-retained", env.ErrNotRetained},
}

// errorKind names the sentinel err matches, or "" for any other error.
func errorKind(err error) string {
	for _, k := range errorKinds {
		if errors.Is(err, k.sentinel) {
			return k.kind
		}
	}
	return ""
}

// remoteError is an error from `empctl up`: its text as sent, matching the
// sentinel its kind names.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// kindError rebuilds an error sent through the control socket.
func kindError(kind, msg string) error {
	for _, k := range errorKinds {
		if k.kind == kind {
			return &remoteError{msg: msg, sentinel: k.sentinel}
		}
	}
	return errors.New(msg)
}
