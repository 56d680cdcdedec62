package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockName is the file `empctl up` holds locked for as long as it runs.
const lockName = "up.lock"

// ErrAlreadyUp means another `empctl up` runs on the same state directory.
var ErrAlreadyUp = errors.New("another `empctl up` is already running for this project")

// LockStateDir makes sure only one `empctl up` runs per state directory: it
// takes an exclusive lock on a file there, which the kernel releases when the
// process ends, however it ends. Take it before building or starting anything.
func LockStateDir(stateDir string) (unlock func(), err error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(stateDir, lockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked): stop it with `empctl down`, or use another directory with --dir", ErrAlreadyUp, path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil
}
