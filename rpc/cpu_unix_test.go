//go:build unix

package rpc

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the test process has
// used so far: client and server of the loopback benchmarks together.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
