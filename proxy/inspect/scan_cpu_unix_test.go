//go:build unix

package inspect

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) used by this process so far, so that
// benchmarks can report cost independent of how busy a shared machine is.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
