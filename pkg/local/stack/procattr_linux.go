package stack

import "syscall"

// replicaProcAttr: its own process group, so a Ctrl-C on the terminal reaches
// empctl, which stops the replicas in order, rather than every replica at once;
// and Pdeathsig, so a replica does not outlive empctl even when empctl is killed.
func replicaProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
