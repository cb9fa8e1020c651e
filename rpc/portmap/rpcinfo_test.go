package portmap

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rpcinfoPath finds rpcinfo, installing Debian's rpcbind package (which
// ships it) when it is missing and the test runs as root with apt-get.
func rpcinfoPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("rpcinfo"); err == nil {
		return p
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		t.Skip("rpcinfo is not installed and cannot be (needs root and apt-get); apt-get install rpcbind")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "rpcbind")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("apt-get install rpcbind: %v\n%s", err, out)
	}
	p, err := exec.LookPath("rpcinfo")
	if err != nil {
		t.Skip("rpcbind installed but rpcinfo not found")
	}
	return p
}

// rpcinfo runs rpcinfo with args and returns its output and whether it
// exited 0. Every run is bounded by a minute (its UDP retries take up to
// 25 seconds when nothing answers).
func rpcinfo(t *testing.T, path string, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	t.Logf("rpcinfo %s:\n%s", strings.Join(args, " "), out)
	return string(out), err == nil
}

func mustRpcinfo(t *testing.T, path string, want []string, args ...string) string {
	t.Helper()
	out, ok := rpcinfo(t, path, args...)
	if !ok {
		t.Fatalf("rpcinfo %s failed:\n%s", strings.Join(args, " "), out)
	}
	for _, w := range want {
		if !regexp.MustCompile(w).MatchString(out) {
			t.Errorf("rpcinfo %s: output lacks %q", strings.Join(args, " "), w)
		}
	}
	return out
}

// TestRpcinfo runs the rpcinfo of Debian's rpcbind package against the
// portmapper. rpcinfo reaches rpcbind only on port 111 for its listings
// (-p, -s, -l, -m and the default) and, even with -n PORT, asks port 111
// before calling -t/-u: so those run only when 127.0.0.1:111 is free and
// the test can serve there. On any port, -a UADDR -T tcp|udp calls a
// program at a universal address directly.
func TestRpcinfo(t *testing.T) {
	path := rpcinfoPath(t)
	s := &Server{}
	mux, port := serveLocal(t, s)
	if err := s.Advertise(mux, port, TCP, UDP); err != nil {
		t.Fatal(err)
	}
	uaddr := fmt.Sprintf("127.0.0.1.%d.%d", port>>8, port&0xff)

	t.Run("direct", func(t *testing.T) {
		for _, tr := range []string{"tcp", "udp"} {
			mustRpcinfo(t, path, []string{
				"program 100000 version 2 ready and waiting",
				"program 100000 version 3 ready and waiting",
				"program 100000 version 4 ready and waiting",
			}, "-a", uaddr, "-T", tr, "100000")
			mustRpcinfo(t, path, []string{"program 400123 version 2 ready and waiting"}, "-a", uaddr, "-T", tr, "400123", "2")
		}
		if out, ok := rpcinfo(t, path, "-a", uaddr, "-T", "tcp", "400999", "1"); ok || !strings.Contains(out, "not available") {
			t.Errorf("an unserved program answered: %s", out)
		}
	})

	t.Run("port111", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:111")
		if err != nil {
			t.Skipf("127.0.0.1:111 is not free (%v); skipping the listings rpcinfo only asks on port 111", err)
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:111")
		if err != nil {
			l.Close()
			t.Skipf("udp 127.0.0.1:111 is not free: %v", err)
		}
		startServer(t, mux, l, pc)
		for _, v := range []uint32{PortmapVersion2, PortmapVersion3, PortmapVersion4} {
			for _, n := range []string{TCP, UDP} {
				if err := s.SetPort(PortmapProgram, v, n, Port); err != nil {
					t.Fatal(err)
				}
			}
		}
		p := fmt.Sprint(port)
		mustRpcinfo(t, path, []string{
			`100000\s+2\s+tcp\s+111\s+portmapper`,
			`100000\s+4\s+udp\s+111\s+portmapper`,
			`400123\s+1\s+tcp\s+` + p,
			`400123\s+2\s+udp\s+` + p,
		}, "-p", "127.0.0.1")
		mustRpcinfo(t, path, []string{`100000\s+[234,]+\s+(udp,tcp|tcp,udp)\s+portmapper`, `400123\s+(1,2|2,1)\s+`}, "-s", "127.0.0.1")
		mustRpcinfo(t, path, []string{`400123\s+1\s+tcp\s+0\.0\.0\.0\.` + fmt.Sprintf(`%d\.%d`, port>>8, port&0xff)}, "127.0.0.1")
		mustRpcinfo(t, path, []string{"program 400123 version 1 ready and waiting"}, "-n", p, "-t", "127.0.0.1", "400123", "1")
		mustRpcinfo(t, path, []string{"program 100000 version 2 ready and waiting"}, "-n", p, "-u", "127.0.0.1", "100000", "2")
		mustRpcinfo(t, path, []string{"program 400123 version 1 ready and waiting", "program 400123 version 2 ready and waiting"}, "-T", "tcp", "127.0.0.1", "400123")
		mustRpcinfo(t, path, []string{"program 400123 version 2 ready and waiting"}, "-T", "udp", "127.0.0.1", "400123", "2")
		mustRpcinfo(t, path, []string{`inet/tcp/cots_ord\s+` + regexp.QuoteMeta(uaddr), `inet/udp/clts\s+` + regexp.QuoteMeta(uaddr)}, "-l", "127.0.0.1", "400123", "1")
		mustRpcinfo(t, path, []string{"PORTMAP \\(version 2\\) statistics", "RPCBIND \\(version 4\\) statistics"}, "-m", "127.0.0.1")
		if out, ok := rpcinfo(t, path, "-T", "tcp", "127.0.0.1", "400999"); ok || !strings.Contains(out, "not registered") {
			t.Errorf("an unregistered program was found: %s", out)
		}
	})
}
