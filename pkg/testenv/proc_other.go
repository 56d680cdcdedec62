//go:build !linux

package testenv

import "os/exec"

// dieWithParent is Linux-only (Pdeathsig); elsewhere the test's cleanup stops the process.
func dieWithParent(*exec.Cmd) {}
