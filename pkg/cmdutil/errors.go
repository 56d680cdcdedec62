package cmdutil

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes scripts can rely on.
const (
	ExitOK      = 0
	ExitError   = 1 // the command failed
	ExitUsage   = 2 // bad flags or arguments
	ExitVerdict = 3 // the command ran but its check failed (a failed rollout, a failed verification)
	ExitCancel  = 130
)

// ExitCodeError makes the process exit with Code; Err (if any) has been printed already
// when Silent is set.
type ExitCodeError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitCodeError) Error() string {
	if e.Err == nil {
		return "exit status"
	}
	return e.Err.Error()
}

func (e *ExitCodeError) Unwrap() error { return e.Err }

// FlagError marks a usage mistake; main prints the usage hint and exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, a ...any) error { return &FlagError{Err: fmt.Errorf(format, a...)} }

// VerdictFailed reports a check that ran and failed (exit 3). The caller has
// already printed the details.
func VerdictFailed(err error) error { return &ExitCodeError{Code: ExitVerdict, Err: err} }

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ec *ExitCodeError
	if errors.As(err, &ec) {
		return ec.Code
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return ExitUsage
	}
	// Interrupted (Ctrl-C cancels the command's context).
	if errors.Is(err, context.Canceled) {
		return ExitCancel
	}
	return ExitError
}
