package main

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill the child when scopebench dies, even
// by SIGKILL, so that no server outlives a run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
