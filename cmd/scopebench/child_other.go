//go:build !linux

package main

import "os/exec"

// setDeathSignal does nothing where the kernel cannot kill a child with its
// parent; Stop still ends every child on a normal exit or an interrupt.
func setDeathSignal(*exec.Cmd) {}
