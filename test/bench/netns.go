package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

// DialInNetns connects to addr over TCP from inside the network namespace
// at path (/proc/PID/ns/net), so that the host can reach a server whose
// 127.0.0.1 is that namespace's loopback (test/ganesha's). It needs
// CAP_SYS_ADMIN. A socket belongs to the namespace it was created in, so
// the connection may be used from any goroutine.
func DialInNetns(ctx context.Context, path, addr string) (net.Conn, error) {
	return inNetns(path, func() (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
}

// inNetns runs fn on an OS thread moved into the network namespace at
// path, so that the sockets fn creates belong to that namespace, then moves
// the thread back. The thread must not exit: PR_SET_PDEATHSIG (the
// Pdeathsig of the servers' exec.Cmd) fires when the thread that forked a
// child exits, not the process, so a discarded thread can kill a server.
// Only if it cannot go back is it left locked, and so discarded.
func inNetns[T any](path string, fn func() (T, error)) (T, error) {
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		var zero T
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{zero, err}
			return
		}
		defer self.Close()
		f, err := os.Open(path)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{zero, err}
			return
		}
		defer f.Close()
		if err := setns(f); err != nil {
			runtime.UnlockOSThread()
			ch <- res{zero, fmt.Errorf("bench: setns %s: %w", path, err)}
			return
		}
		v, err := fn()
		if setns(self) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

// setns moves the calling thread into the network namespace of f.
func setns(f *os.File) error {
	if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}
