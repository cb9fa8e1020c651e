//go:build !linux

package badger

// dirWatch is inotify's on Linux; elsewhere every sync reads the
// directory.
type dirWatch struct{}

func newDirWatch(string) *dirWatch { return nil }

func (w *dirWatch) changed() bool { return true }

func (w *dirWatch) close() {}

func fdatasync(f interface{ Sync() error }) error { return f.Sync() }
