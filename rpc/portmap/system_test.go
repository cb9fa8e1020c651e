package portmap

import (
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
)

// startSystemRPCBind starts Debian's rpcbind on sockets the test listens
// on (systemd socket activation: LISTEN_FDS), with a private /run so that
// it neither conflicts with nor disturbs a host rpcbind. Connections made
// to the listener queue until rpcbind accepts them, so the test needs no
// wait. It returns the address, or skips when rpcbind, unshare or root are
// missing.
func startSystemRPCBind(t *testing.T) string {
	t.Helper()
	rpcbind, err := exec.LookPath("rpcbind")
	if err != nil {
		rpcinfoPath(t) // installs the rpcbind package when it can
		if rpcbind, err = exec.LookPath("rpcbind"); err != nil {
			t.Skip("rpcbind is not installed")
		}
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare to run rpcbind with a private /run")
	}
	l, pc := listenPair(t, "127.0.0.1:0")
	lf, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pc.(*net.UDPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // the duplicates in lf and pf stay open
	pc.Close()
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "--",
		"sh", "-c", `mount -t tmpfs tmpfs /run && export LISTEN_PID=$$ LISTEN_FDS=2 && exec "$0" -f`, rpcbind)
	cmd.ExtraFiles = []*os.File{lf, pf} // fds 3 and 4
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	pf.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return addr
}

// TestSystemRPCBind registers with a real rpcbind, the way a server
// announces itself to the host's, and unregisters.
func TestSystemRPCBind(t *testing.T) {
	addr := startSystemRPCBind(t)
	ctx := t.Context()
	ms := PortMappings(testProg, 3, 20049, TCP, UDP)
	if err := RegisterSystem(ctx, addr, ms...); err != nil {
		t.Fatal(err)
	}
	// Again, replacing the port: RegisterSystem unsets first.
	ms = PortMappings(testProg, 3, 20050, TCP, UDP)
	if err := RegisterSystem(ctx, addr, ms...); err != nil {
		t.Fatal(err)
	}
	c, err := Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p, err := c.GetPort(ctx, testProg, 3, 6); err != nil || p != 20050 {
		t.Fatalf("rpcbind GETPORT = %d, %v; want 20050", p, err)
	}
	got, err := c.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got, func(m Mapping) bool { return m.Prog == testProg && m.Netid == UDP && m.Addr == "0.0.0.0.78.82" }) {
		t.Fatalf("rpcbind DUMP lacks our udp mapping: %+v", got)
	}
	addrStr, err := c.GetAddr(ctx, testProg, 3, true)
	if ap, perr := ParseUaddr(addrStr); err != nil || perr != nil || ap.Port() != 20050 {
		t.Fatalf("rpcbind GETVERSADDR = %q, %v", addrStr, err)
	}
	if _, err := c.GetTime(ctx); err != nil {
		t.Fatalf("rpcbind GETTIME: %v", err)
	}
	if err := UnregisterSystem(ctx, addr, ms...); err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetPort(ctx, testProg, 3, 6); err != nil || p != 0 {
		t.Fatalf("after unregistering, GETPORT = %d, %v", p, err)
	}
}
