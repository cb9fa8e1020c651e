// Command vmhelper is the small static helper the VM harness needs on both
// sides of the emulated network.
//
// On the host, QEMU's user-mode network starts "vmhelper relay 127.0.0.1:PORT"
// for every guest connection to a guestfwd address; the guest's connection is
// the helper's standard input and output (a connected TCP socket that libslirp
// hands over). The relay copies bytes both ways with TCP_NODELAY set and
// TCP_QUICKACK re-armed after every read, so that requests larger than one TCP
// segment do not wait for a delayed ACK (busybox nc waits 40 ms per request).
//
// In the guest, "vmhelper mount SOURCE DIR FSTYPE OPTIONS" makes one mount(2)
// call with the NFS text options, which the Linux kernel parses itself, so the
// guest needs no mount.nfs, rpcbind or libtirpc.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "relay":
		if len(os.Args) != 3 {
			usage()
		}
		err = relay(os.Args[2])
	case "mount":
		if len(os.Args) != 6 {
			usage()
		}
		err = syscall.Mount(os.Args[2], os.Args[3], os.Args[4], 0, os.Args[5])
		if err != nil {
			err = fmt.Errorf("mount %s on %s (%s, %q): %w", os.Args[2], os.Args[3], os.Args[4], os.Args[5], err)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmhelper:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vmhelper relay 127.0.0.1:PORT | vmhelper mount SOURCE DIR FSTYPE OPTIONS")
	os.Exit(2)
}

// relay connects to target, which must be a loopback address, and copies
// between it and the connection on standard input until either side closes.
func relay(target string) error {
	in, err := stdinConn()
	if err != nil {
		return err
	}
	return relayConn(in, target)
}

// relayConn copies between in and a new connection to target until both
// directions end; it closes in.
func relayConn(in net.Conn, target string) error {
	defer in.Close()
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("relay target %s is not a loopback address", target)
	}
	out, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		return err
	}
	defer out.Close()
	for _, c := range []net.Conn{in, out} {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
	}
	done := make(chan error, 2)
	go func() { done <- pump(out, in) }()
	go func() { done <- pump(in, out) }()
	err = <-done
	if err != nil && !errors.Is(err, io.EOF) {
		// A failed direction: close both so the other copy ends too.
		in.Close()
		out.Close()
	}
	err2 := <-done
	for _, e := range []error{err, err2} {
		if e != nil && !errors.Is(e, io.EOF) && !errors.Is(e, net.ErrClosed) {
			return e
		}
	}
	return nil
}

// stdinConn turns standard input, the socket libslirp passes, into a net.Conn.
func stdinConn() (net.Conn, error) {
	c, err := net.FileConn(os.Stdin)
	if err == nil {
		return c, nil
	}
	return nil, fmt.Errorf("standard input is not a socket: %w", err)
}

// pump copies src to dst, re-arming TCP_QUICKACK on src after every read:
// Linux clears it again after a while, so one setsockopt is not enough.
func pump(dst, src net.Conn) error {
	buf := make([]byte, 256<<10)
	for {
		n, err := src.Read(buf)
		quickack(src)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok && errors.Is(err, io.EOF) {
				_ = cw.CloseWrite()
			}
			return err
		}
	}
}

func quickack(c net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
