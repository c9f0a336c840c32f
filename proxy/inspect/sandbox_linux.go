package inspect

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// sandbox puts a tesseract process in its own process group (killed whole at a deadline)
// and has the kernel kill it if the proxy dies.
func sandbox(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// limit caps a started tesseract process: address space, CPU seconds, no core dumps, no
// file writes, few open files, and a lower scheduling priority than the proxy. It runs
// before the image is sent, so the limits are in force for all work on the image.
func limit(pid int, maxMemory int64, nice int) {
	set := func(res int, v uint64) { _ = unix.Prlimit(pid, res, &unix.Rlimit{Cur: v, Max: v}, nil) }
	set(unix.RLIMIT_AS, uint64(maxMemory))
	set(unix.RLIMIT_CPU, 120)
	set(unix.RLIMIT_CORE, 0)
	set(unix.RLIMIT_FSIZE, 0)
	set(unix.RLIMIT_NOFILE, 64)
	if nice > 0 {
		_ = unix.Setpriority(unix.PRIO_PROCESS, pid, nice)
	}
}

// killGroup kills the process group of a started command.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
	}
}

// maxRSS is the peak resident set of a finished process, in KiB.
func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
