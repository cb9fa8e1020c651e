//go:build !linux

package main

// totalRAM is the machine's physical memory where it cannot be asked
// portably: 4 GiB, so the memory stores are bounded to 1 GiB by default.
func totalRAM() uint64 { return 4 << 30 }
