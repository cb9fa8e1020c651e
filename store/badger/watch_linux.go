package badger

import (
	"errors"
	"syscall"
)

// dirWatch reports whether files were created, removed or renamed in a
// directory since it was last asked, with inotify: the events are queued
// by the very system calls that change the directory, so a change made
// before changed is called is seen by it.
type dirWatch struct{ fd int }

func newDirWatch(dir string) *dirWatch {
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	const mask = syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO |
		syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF
	if _, err := syscall.InotifyAddWatch(fd, dir, mask); err != nil {
		syscall.Close(fd)
		return nil
	}
	return &dirWatch{fd: fd}
}

// changed drains the queued events and reports whether there were any
// (or whether it could not tell). A nil watch always reports a change.
func (w *dirWatch) changed() bool {
	if w == nil {
		return true
	}
	var buf [4096]byte
	any := false
	for {
		n, err := syscall.Read(w.fd, buf[:])
		switch {
		case n > 0:
			any = true // any event, IN_Q_OVERFLOW included
		case errors.Is(err, syscall.EAGAIN):
			return any
		case errors.Is(err, syscall.EINTR):
		default:
			return true
		}
	}
}

func (w *dirWatch) close() {
	if w != nil {
		syscall.Close(w.fd)
	}
}

// fdatasync flushes f's data and what reading it back needs, not its
// times (msync(MS_SYNC) of a shared mapping does the same).
func fdatasync(f interface{ Fd() uintptr }) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
