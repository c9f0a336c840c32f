//go:build !linux

package inspect

import (
	"os"
	"os/exec"
)

// sandbox does nothing here: process groups and resource limits are set up on Linux only;
// the deadline still kills the process.
func sandbox(cmd *exec.Cmd) {}

// limit does nothing outside Linux.
func limit(pid int, maxMemory int64, nice int) {}

// killGroup kills the started process.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// maxRSS is not measured outside Linux.
func maxRSS(ps *os.ProcessState) int64 { return 0 }
