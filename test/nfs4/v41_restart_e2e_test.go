//go:build e2e

package nfs4_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// opCreateSession is CREATE_SESSION (RFC 8881 §18.36).
const opCreateSession = 43

// Lease and grace of TestV41RestartReclaim: the grace period is long, so
// that its early end (every client that held state sent
// RECLAIM_COMPLETE) is plain to see.
const (
	v41RestartLease = 15 * time.Second
	v41RestartGrace = 90 * time.Second
)

// TestV41RestartReclaim restarts the server (badger metadata and localfs
// blocks in one data directory, the same ports) while a vers=4.1 guest
// holds a file open with an fcntl write lock. The client finds its
// session gone, creates a new client record and session, reclaims its
// open (OPEN with CLAIM_PREVIOUS) and its lock (LOCK with reclaim set),
// and sends RECLAIM_COMPLETE; as it was the only client with state, the
// grace period then ends at once, well before v41RestartGrace (for a
// 4.1 client only RECLAIM_COMPLETE ends it early), with the write lock
// held again in the lock manager. The
// guest's program, after the restart, appends to the file through the
// descriptor holding the lock, unlocks, and creates a new file (no
// longer refused with NFS4ERR_GRACE), all without an error.
func TestV41RestartReclaim(t *testing.T) {
	timed(t)
	stores := &nfstest.DataDir{Dir: t.TempDir()}
	stores.Open(t)
	t.Cleanup(func() { stores.Close(t) })
	e := nfstest.NewEnvWith(t, nfstest.Config{Meta: stores.Meta, Blocks: stores.Blocks, Export: exportName, NFS4: true,
		Grace: v41RestartGrace, Lease: v41RestartLease})

	script := `set -e
echo data >f
locker hold f w heldA releaseA 3m held-across-restart
cat f
echo new >g
echo "= g $(cat g)"
`
	cfg := v41Guest(t, e, "guest-a", script)
	cfg.Timeout = 4 * time.Minute
	g := startGuest(t, cfg)

	if err := nfstest.WaitExport(t.Context(), e.Srv.FS, "heldA", 2*time.Minute); err != nil {
		t.Fatalf("guest-a never held its lock: %v", err)
	}
	restarted := time.Now()
	e.Restart(t, stores)
	// The watcher starts after the server does: the client, reconnecting
	// at once, may have begun its recovery before (then its counts are
	// not used; the lock manager's evidence below does not depend on it).
	w := e.Srv.WatchSessions()
	if err := waitGraceEnd(t.Context(), e, v41RestartGrace+10*time.Second); err != nil {
		t.Error(err)
	}
	graceEnded := time.Since(restarted)
	t.Logf("the grace period ended %v after the restart (grace %v)", graceEnded.Round(100*time.Millisecond), v41RestartGrace)
	if graceEnded > v41RestartGrace/2 {
		t.Errorf("the grace period ended %v after the restart: not early (RECLAIM_COMPLETE of the only client)", graceEnded)
	}
	// Locks of the last boot are not loaded as locks (only their owners,
	// as the clients that may reclaim): a lock held now was reclaimed.
	fh, _, err := e.Srv.FS.Lookup(t.Context(), &store.Cred{}, e.Srv.FS.Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if l := e.Srv.Locks.Locks(fh.ID); len(l) != 1 || !l[0].Exclusive || l[0].Owner.Proto != locking.ProtoNFS4 {
		t.Errorf("locks on f once the grace period ended: %+v, want the guest's reclaimed write lock", l)
	}
	if err := nfstest.CreateExport(t.Context(), e.Srv.FS, "releaseA"); err != nil {
		t.Fatal(err)
	}
	res, runErr := g.wait()
	t.Logf("guest-a: %s in %v\n%s", res.Status, res.Elapsed.Round(time.Millisecond), res.Output)
	if runErr != nil || res.ExitCode != 0 {
		t.Fatalf("guest: %v, exit %d\nconsole:\n%s", runErr, res.ExitCode, res.Console)
	}
	if got, want := nfstest.LockerLines(res.Output), []string{"hold locked", "hold released"}; !slices.Equal(got, want) {
		t.Errorf("guest results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(res.Output, "data\nheld-across-restart\n") || !slices.Contains(marked(res.Output), "g new") {
		t.Errorf("guest-a's files after the restart:\n%s", res.Output)
	}
	if w.Count(opCreateSession, false, 0) == 0 {
		t.Log("the client's recovery began before the watcher was in place: reclaims not counted by operation")
	} else {
		// f's open, and heldA's when the restart came before locker's
		// close of it reached the server.
		for _, c := range []struct {
			what     string
			op       uint32
			reclaim  bool
			min, max int
		}{
			{"OPEN with CLAIM_PREVIOUS", nfstest.OpOpen, true, 1, 2},
			{"reclaim LOCK", nfstest.OpLock, true, 1, 1},
			{"RECLAIM_COMPLETE", nfstest.OpReclaimComplete, false, 1, 1},
		} {
			n := w.Count(c.op, c.reclaim, 0)
			t.Logf("%s answered NFS4_OK %d time(s) after the restart", c.what, n)
			if n < c.min || n > c.max {
				t.Errorf("%s answered NFS4_OK %d times after the restart, want %d to %d", c.what, n, c.min, c.max)
			}
		}
	}
	e.NoWarnings(t)
}

// waitGraceEnd waits (bounded by timeout) until the restarted server's
// lock manager is out of grace.
func waitGraceEnd(ctx context.Context, e *nfstest.Env, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for e.Srv.Locks.InGrace(ctx) {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
	return nil
}
