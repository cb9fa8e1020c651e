//go:build unix

package localfs

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir opens and exclusively locks the lock file at path, failing at
// once when another process holds it. Closing the file releases the lock.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("block store is in use by another process: %w", err)
	}
	return f, nil
}
