//go:build !unix

package localfs

import "os"

// lockDir opens the lock file at path. Outside Unix it does not lock: one
// process at a time must own the directory.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
