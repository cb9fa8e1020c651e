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
// the connection may be used from any goroutine; the OS thread that
// created it is left locked and so ends with its goroutine, as in
// ListenInNetns.
func DialInNetns(ctx context.Context, path, addr string) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see ListenInNetns
		f, err := os.Open(path)
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			ch <- res{nil, fmt.Errorf("bench: setns %s: %w", path, e)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
