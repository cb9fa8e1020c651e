//go:build e2e

package nfs4_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/vm"
)

// Lease and grace of TestRestartReclaim40: the Linux client renews every
// two thirds of the lease, so guest A finds out about the restart (a
// RENEW answered NFS4ERR_STALE_CLIENTID) within 10 s and reclaims within
// the grace period.
const (
	restartLease = 15 * time.Second
	restartGrace = 20 * time.Second
)

// TestRestartReclaim40 restarts the server (badger metadata and localfs
// blocks in one data directory, stopped with the stores closed, started
// again on the same ports) while guest A holds a file open with an fcntl
// write lock over NFSv4.0. A's client reclaims its open and its lock in
// the grace period (CLAIM_PREVIOUS, a reclaim LOCK), and A's program,
// after the restart, appends to the file through the descriptor holding
// the lock and unlocks without an error. Guest B, asking for the lock
// right after the restart, meets the grace period (NFS4ERR_GRACE), and
// once it is over is refused (A holds it again: the lock was reclaimed);
// B's F_SETLKW is refused while A holds the lock, and gets it once A
// releases.
func TestRestartReclaim40(t *testing.T) {
	timed(t)
	stores := &nfstest.DataDir{Dir: t.TempDir()}
	stores.Open(t)
	t.Cleanup(func() { stores.Close(t) })
	e := nfstest.NewEnvWith(t, nfstest.Config{Meta: stores.Meta, Blocks: stores.Blocks, Export: exportName, NFS4: true,
		Grace: restartGrace, Lease: restartLease})

	// The guests' "ready" signals are directories: a mkdir is one call
	// with no open state, so the host never restarts the server between
	// a marker's OPEN and its CLOSE (that CLOSE, answered
	// NFS4ERR_STALE_STATEID, ends in EIO in the guest).
	scriptA := `set -e
echo data >f
locker hold f w heldA releaseA 3m held-across-restart &
locker waitfile heldA 1m
mkdir a-ready
wait
cat f
`
	// B's try is refused once grace is over (denied4.1); then B's
	// F_SETLKW is refused at least once (denied4.2) before A releases,
	// so the Linux client retries LOCK for a new lock-owner, as it does
	// for any contended F_SETLKW.
	scriptB := `set -e
mkdir b-ready
locker waitfile restarted 3m
locker try f w 0 0
touch releaseB
locker hold f w heldB releaseB 1m >holdB.out &
# Whatever happens, A is let go, so that a failure ends the test quickly.
st=0
locker waitfile denied4.2 30s || st=$?
touch releaseA
wait
cat holdB.out
exit $st
`
	cfgA, cfgB := e.Guest4(t, "guest-a", scriptA), e.Guest4(t, "guest-b", scriptB)
	cfgA.Timeout, cfgB.Timeout = 4*time.Minute, 4*time.Minute
	done := make(chan struct{})
	var res []vm.Result
	var errs []error
	go func() {
		defer close(done)
		res, errs = nfstest.RunAll(t, cfgA, cfgB)
	}()
	// However the host side ends, the VMs are waited for (Run ends them
	// on ctx or their timeout).
	defer func() { <-done }()

	for _, m := range []string{"a-ready", "b-ready"} {
		if err := nfstest.WaitExport(t.Context(), e.Srv.FS, m, 2*time.Minute); err != nil {
			t.Fatalf("no %s (guest-a holding its lock, guest-b mounted): %v", m, err)
		}
	}
	restarted := time.Now()
	e.Restart(t, stores)
	<-done
	t.Logf("the guests ended %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%v\nconsole a:\n%s\nconsole b:\n%s", err, res[0].Console, res[1].Console)
	}
	if res[0].ExitCode != 0 || res[1].ExitCode != 0 {
		t.Fatalf("exit codes: guest-a %d, guest-b %d\nconsole a:\n%s\nconsole b:\n%s", res[0].ExitCode, res[1].ExitCode, res[0].Console, res[1].Console)
	}
	out := []string{res[0].Output, res[1].Output}
	wantA := []string{"hold locked", "waitfile ok", "hold released"}
	wantB := []string{"waitfile ok", "try conflict", "waitfile ok", "hold locked", "hold released"}
	if got := nfstest.LockerLines(out[0]); !slices.Equal(got, wantA) {
		t.Errorf("guest-a results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantA, "\n"))
	}
	if !strings.Contains(out[0], "data\nheld-across-restart\n") {
		t.Errorf("guest-a's file after the restart:\n%s", out[0])
	}
	if got := nfstest.LockerLines(out[1]); !slices.Equal(got, wantB) {
		t.Errorf("guest-b results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantB, "\n"))
	}
	if n := e.Srv.Mark.Compounds(nfs4errGrace); n == 0 {
		t.Errorf("no COMPOUND was answered NFS4ERR_GRACE: guest-b's request did not meet the grace period")
	}
	checkServer(t, e)
}
