package main

import "syscall"

// totalRAM is the machine's physical memory, or 4 GiB when it cannot be
// read.
func totalRAM() uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil || si.Totalram == 0 {
		return 4 << 30
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
