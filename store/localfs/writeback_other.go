//go:build !linux

package localfs

import "os"

// startWriteback does nothing where sync_file_range(2) is missing; the
// fsync at the next Sync writes the file.
func startWriteback(f *os.File) {}
