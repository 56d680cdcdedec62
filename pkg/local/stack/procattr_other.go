//go:build !linux

package stack

import "syscall"

// replicaProcAttr: its own process group, as on Linux. Other systems have no
// Pdeathsig: a replica of an empctl killed with SIGKILL keeps running until
// stopped by hand (`empctl status` lists the PIDs); a Ctrl-C or `empctl down` stops it.
func replicaProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
