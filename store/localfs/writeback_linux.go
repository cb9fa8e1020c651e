//go:build linux

package localfs

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing f's dirty pages now
// (sync_file_range SYNC_FILE_RANGE_WRITE, which does not wait), so that the
// fsync at the next Sync finds them written or in flight. Errors are
// ignored: the fsync reports them.
func startWriteback(f *os.File) {
	const syncFileRangeWrite = 2
	_ = syscall.SyncFileRange(int(f.Fd()), 0, 0, syncFileRangeWrite)
}
