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
// call with the NFS or cifs text options, which the Linux kernel parses
// itself, so the guest needs no mount.nfs, mount.cifs, rpcbind or libtirpc.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
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
		// relay 127.0.0.1:PORT [VM-NAME]: the name only labels the process.
		if len(os.Args) != 3 && len(os.Args) != 4 {
			usage()
		}
		err = relay(os.Args[2])
	case "flock":
		// flock FILE CMD ARGS...: run CMD holding an exclusive flock on FILE
		// (busybox-static has no flock applet).
		if len(os.Args) < 4 {
			usage()
		}
		var rc int
		rc, err = withFlock(os.Args[2], os.Args[3:])
		if err == nil {
			os.Exit(rc)
		}
	case "rpcping":
		// rpcping HOST:PORT PROG VERS: send an RPC NULL call and wait for
		// the reply, so that /init can tell "no server" from a hung mount.
		if len(os.Args) != 5 {
			usage()
		}
		err = rpcPing(os.Args[2], os.Args[3], os.Args[4], 20*time.Second)
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
	fmt.Fprintln(os.Stderr, "usage: vmhelper relay 127.0.0.1:PORT [VM-NAME] | mount SOURCE DIR FSTYPE OPTIONS | flock FILE CMD [ARGS...] | rpcping HOST:PORT PROG VERS")
	os.Exit(2)
}

// withFlock runs argv with an exclusive flock(2) on file held, and returns
// its exit status. It unlocks before closing the file, and over NFSv4 it
// closes only once the server has answered the request that frees the
// lock's state, which the Linux client sends on its own when the last lock
// of a lock-owner goes (FREE_STATEID in NFSv4.1 and later, RELEASE_LOCKOWNER
// in 4.0) and does not wait for. Left to race, that request and the CLOSE
// (which frees the same lock state on the server) crash NFS-Ganesha 4.3,
// the reference server of the tests: a FREE_STATEID that finds the lock
// state just before the CLOSE deletes it drops the last reference with no
// export in its context and dereferences NULL (dec_nfs4_state_ref, nfs-ganesha
// issues 904 and 1151; RELEASE_LOCKOWNER the same way, issue 1062).
func withFlock(file string, argv []string) (int, error) {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return 0, fmt.Errorf("flock %s: %w", file, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	runErr := cmd.Run()
	rc := 0
	var exit *exec.ExitError
	switch {
	case errors.As(runErr, &exit):
		rc = exit.ExitCode()
	case runErr != nil:
		return 0, runErr
	}
	freed, err := stateFrees()
	if err != nil {
		return 0, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		return 0, fmt.Errorf("unlock %s: %w", file, err)
	}
	if err := awaitStateFree(freed, 30*time.Second); err != nil {
		return 0, fmt.Errorf("unlock %s: %w", file, err)
	}
	return rc, nil
}

// mountstats is where the kernel counts each NFS mount's calls.
const mountstats = "/proc/self/mountstats"

// stateFrees returns how many calls that free a lock state the NFSv4
// mounts have completed (the kernel counts a call once its reply is
// decoded), or -1 when there is no NFSv4 mount.
func stateFrees() (int64, error) {
	b, err := os.ReadFile(mountstats)
	if err != nil {
		return 0, err
	}
	return parseStateFrees(string(b))
}

// parseStateFrees sums, over the NFSv4 mounts in mountstats text, the
// per-op count of FREE_STATEID (minor version 1 and later) or
// RELEASE_LOCKOWNER (4.0): the line "\tFREE_STATEID: OPS TRANS ...". The
// kernel lists every procedure of NFSv4 for every minor version, so the
// mount's "vers=" option says which one counts. It is -1 when no NFSv4
// mount is there.
func parseStateFrees(text string) (int64, error) {
	n := int64(-1)
	want := ""
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "device ") {
			want = ""
			if strings.Contains(t, " with fstype nfs4 ") {
				want = "?"
			}
			continue
		}
		name, rest, ok := strings.Cut(t, ":")
		switch {
		case !ok || want == "":
		case name == "opts":
			want = "FREE_STATEID"
			if slices.Contains(strings.Split(strings.TrimSpace(rest), ","), "vers=4.0") {
				want = "RELEASE_LOCKOWNER"
			}
			n = max(n, 0)
		case name == want:
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, fmt.Errorf("%s: no count in %q", mountstats, t)
			}
			ops, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %q: %w", mountstats, t, err)
			}
			n += ops
		}
	}
	return n, nil
}

// awaitStateFree waits until the mounts have completed more state frees
// than before (from stateFrees), at most timeout; it returns at once when
// before is -1 (no mount sends them).
func awaitStateFree(before int64, timeout time.Duration) error {
	if before < 0 {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		n, err := stateFrees()
		if err != nil {
			return err
		}
		if n > before {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the client sent no FREE_STATEID or RELEASE_LOCKOWNER within %v", timeout)
		}
		// No notification exists for a call's completion: poll.
		time.Sleep(5 * time.Millisecond)
	}
}

// rpcPing sends an ONC RPC NULL call (RFC 5531: procedure 0, AUTH_NONE)
// for prog/vers over TCP to addr and waits for a reply with the same xid.
// Any reply counts, accepted or not: it shows an RPC server is there.
func rpcPing(addr, prog, vers string, timeout time.Duration) error {
	p, err1 := strconv.ParseUint(prog, 10, 32)
	v, err2 := strconv.ParseUint(vers, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(deadline)
	const xid = 0x64697474
	call := nullCall(xid, uint32(p), uint32(v))
	if _, err := c.Write(call); err != nil {
		return err
	}
	reply := make([]byte, 12)
	if _, err := io.ReadFull(c, reply); err != nil {
		return fmt.Errorf("no RPC reply from %s: %w", addr, err)
	}
	return checkReply(reply, xid)
}

// nullCall encodes a record-marked RPC call of procedure 0 with AUTH_NONE
// credentials and verifier.
func nullCall(xid, prog, vers uint32) []byte {
	words := []uint32{0x80000000 | 40, xid, 0 /* CALL */, 2 /* RPC version */, prog, vers, 0 /* NULL */, 0, 0, 0, 0}
	b := make([]byte, 0, 4*len(words))
	for _, w := range words {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return b
}

// checkReply checks the first 12 bytes of a record-marked reply: a record
// marker, the call's xid and msg_type REPLY (1).
func checkReply(b []byte, xid uint32) error {
	if len(b) < 12 {
		return errors.New("short RPC reply")
	}
	if n := binary.BigEndian.Uint32(b) & 0x7fffffff; n < 8 {
		return fmt.Errorf("RPC reply fragment of %d bytes", n)
	}
	if got := binary.BigEndian.Uint32(b[4:]); got != xid {
		return fmt.Errorf("RPC reply xid %#x, want %#x", got, xid)
	}
	if mt := binary.BigEndian.Uint32(b[8:]); mt != 1 {
		return fmt.Errorf("RPC message type %d, want REPLY", mt)
	}
	return nil
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
