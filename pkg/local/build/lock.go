package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// LockWebapp takes the project's webapp lock, an exclusive flock on
// .empctl/cache/webapp.lock, waiting while another process (or goroutine)
// holds it. Hold it around building the webapp (Webapp) and using the build
// it leaves in webapp/dist (copying or uploading it): `make -C webapp build`
// empties the folder and writes it again, so without the lock two `deploy
// frontend` runs, or one and `empctl up`, could build into it at once, or one
// read it while the other rebuilds it. waiting, if set, is called once if the
// lock is held, with what holds it. The kernel releases the lock when the
// process ends, however it ends.
func LockWebapp(ctx context.Context, srcDir, what string, waiting func(holder string)) (unlock func(), err error) {
	path := filepath.Join(srcDir, ".empctl", "cache", "webapp.lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	fd := int(f.Fd())
	err = flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		if waiting != nil {
			holder, _ := os.ReadFile(path)
			waiting(strings.TrimSpace(string(holder)))
		}
		// A blocking flock cannot be interrupted: on cancellation it is
		// left to finish in the background, and the lock it then gets is
		// released at once.
		var lockErr error
		done := make(chan struct{})
		go func() { lockErr = flock(fd, syscall.LOCK_EX); close(done) }()
		select {
		case <-done:
			err = lockErr
		case <-ctx.Done():
			go func() { <-done; _ = f.Close() }()
			return nil, fmt.Errorf("waiting for the webapp build lock %s: %w", path, ctx.Err())
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// Say who holds it, for the next one to wait.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("%s (pid %d)\n", what, os.Getpid())), 0)
	}
	return func() { _ = f.Close() }, nil
}

func flock(fd, how int) error {
	for {
		if err := syscall.Flock(fd, how); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
