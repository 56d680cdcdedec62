package testenv

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes cmd's process die with the test binary, so a test
// killed on timeout leaves no server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
