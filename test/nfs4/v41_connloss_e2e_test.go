//go:build e2e

package nfs4_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// v41Drops are the operations after which TestV41ConnectionLoss drops
// the guest's connection, before the reply leaves; v41AfterDrop is how
// many COMPOUNDs the new connection must carry before the next drop.
var v41Drops = []uint32{nfstest.OpWrite, nfstest.OpOpen, nfstest.OpClose}

const v41AfterDrop = 20

// TestV41ConnectionLoss drops the guest's TCP connection from the server
// side three times while the guest writes files of 2 MiB (each a known
// pattern with its number in front) one after another: each time right
// after a WRITE, an OPEN or a CLOSE has run, before its reply leaves.
// The Linux client reconnects (BIND_CONN_TO_SESSION) and goes on in its
// session, sending the call again in the same slot with the same
// sequence id. The server answers OPEN and CLOSE (sa_cachethis set) from
// the slot's reply cache with the lost reply, byte for byte, not by
// running them again, and the WRITE (sa_cachethis false) with the
// reply cached or NFS4ERR_RETRY_UNCACHED_REP, after which the client
// sends it anew (RFC 8881 §2.10.6.1.3). The guest's program sees no error, and every file's
// checksum, read back after the guest dropped its caches and on the
// server, matches the pattern's.
func TestV41ConnectionLoss(t *testing.T) {
	timed(t)
	e := newEnv(t)
	w := e.Srv.WatchSessions()
	script := `set -e
head -c 2097152 /dev/urandom >/tmp/pat
touch writing
i=0
while [ $i -lt 150 ] && [ ! -e stop ]; do
	{ echo $i; cat /tmp/pat; } >f$i
	i=$((i+1))
done
[ -e stop ]
echo "- wrote $i files"
sync
echo 3 >/proc/sys/vm/drop_caches
j=0
while [ $j -lt $i ]; do
	{ echo $j; cat /tmp/pat; } | md5sum | sed "s/ .*/ want$j/"
	md5sum f$j
	j=$((j+1))
done
`
	cfg := v41Guest(t, e, "guest-a", script)
	cfg.Timeout = 4 * time.Minute
	g := startGuest(t, cfg)

	if err := nfstest.WaitExport(t.Context(), e.Srv.FS, "writing", 2*time.Minute); err != nil {
		t.Fatalf("the guest never started writing: %v", err)
	}
	for k, op := range v41Drops {
		closed := make(chan int, 1)
		w.DropAfter(op, func() { closed <- e.Srv.CloseConns() })
		seen, _ := w.ConnsSeen()
		select {
		case n := <-closed:
			t.Logf("drop %d, after operation %d: closed %d connection(s)", k+1, op, n)
			if n == 0 {
				t.Errorf("drop %d: no connection was open", k+1)
			}
		case <-time.After(90 * time.Second):
			t.Errorf("drop %d: no COMPOUND with operation %d in 90 s", k+1, op)
		case <-g.done:
			t.Errorf("drop %d: the guest ended first", k+1)
		}
		if t.Failed() {
			break
		}
		// The client's new connection carries the retry and more.
		if err := waitNewConn(t.Context(), w, seen, v41AfterDrop, 90*time.Second); err != nil {
			t.Errorf("after drop %d: %v", k+1, err)
			break
		}
	}
	if err := nfstest.CreateExport(t.Context(), e.Srv.FS, "stop"); err != nil {
		t.Fatal(err)
	}
	res, runErr := g.wait()
	t.Logf("guest-a: %s in %v", res.Status, res.Elapsed.Round(time.Millisecond))
	if runErr != nil || res.ExitCode != 0 {
		t.Fatalf("guest: %v, exit %d\noutput:\n%s\nconsole:\n%s", runErr, res.ExitCode, res.Output, res.Console)
	}
	got := sums(res.Output)
	files := 0
	for j := 0; ; j++ {
		want, name := got[fmt.Sprintf("want%d", j)], fmt.Sprintf("f%d", j)
		if want == "" {
			break
		}
		files++
		if got[name] != want {
			t.Errorf("%s: md5 %s in the guest, want %s", name, got[name], want)
		}
		size, sum, err := nfstest.FileSum(t.Context(), e.Srv.FS, name, md5.New())
		if err != nil || sum != want {
			t.Errorf("%s on the server: %v, size %d, md5 %s, want %s", name, err, size, sum, want)
		}
	}
	conns, _ := w.ConnsSeen()
	t.Logf("%d files written; %d connections carried COMPOUNDs; sessions %v; BIND_CONN_TO_SESSION ok %d",
		files, conns, w.Conns(), w.Count(nfstest.OpBindConnToSession, false, 0))
	if files == 0 {
		t.Errorf("the guest reported no files:\n%s", res.Output)
	}
	if conns != len(v41Drops)+1 {
		t.Errorf("%d connections carried COMPOUNDs, want %d (the client reconnects after each drop)", conns, len(v41Drops)+1)
	}
	if s := w.Conns(); len(s) != 1 {
		t.Errorf("sessions %v, want one: the session outlives its connections", s)
	}
	same, uncached, differ := w.Replays()
	t.Logf("retries of the %d lost replies: %d answered from the slot's cache, %d NFS4ERR_RETRY_UNCACHED_REP (sa_cachethis false)", len(v41Drops), same, uncached)
	if same+uncached+len(differ) != len(v41Drops) {
		t.Errorf("%d of the %d calls whose reply was lost were sent again in their slot", same+uncached+len(differ), len(v41Drops))
	}
	// The Linux client asks for OPEN's and CLOSE's replies to be cached.
	if same < 2 {
		t.Errorf("%d retries answered with the lost reply, want at least 2 (OPEN, CLOSE)", same)
	}
	for _, d := range differ {
		t.Errorf("a retry was not answered with the lost reply: %s", d)
	}
	e.NoWarnings(t)
}

// waitNewConn waits (bounded by timeout) until more than seen
// connections have carried COMPOUNDs and the newest has carried at least
// n.
func waitNewConn(ctx context.Context, w *nfstest.Sessions, seen, n int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conns, onNewest := w.ConnsSeen()
		if conns > seen && onNewest >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d connections, the newest with %d COMPOUNDs: %w", conns, onNewest, context.Cause(ctx))
		case <-tick.C:
		}
	}
}
