//go:build e2e

package nlm_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/vm"
)

// restartGrace is the grace period of the restarted server: long enough
// for guest B's first lock request to fall in it (B asks right after the
// restart), short enough to keep the test quick. The Linux client retries
// a request refused for grace every 5 s, so B waits about this long.
const restartGrace = 12 * time.Second

// TestRestartReclaim restarts the server while guest A holds an fcntl
// lock: the server runs over a badger metadata store and a localfs block
// store in one data directory, is stopped (stores closed) and started
// again on the same directory and ports. The restarted NSM sends SM_NOTIFY
// to A's rpc.statd, A's kernel reclaims its lock in grace, guest B's
// F_SETLK on the range is held off by the grace period and then refused
// (A holds it again), and once A releases, B's F_SETLKW gets it. A's
// program holds and releases its lock without an error throughout.
func TestRestartReclaim(t *testing.T) {
	data := t.TempDir()
	stores := &nfstest.DataDir{Dir: data}
	stores.Open(t)
	t.Cleanup(func() { stores.Close(t) })
	e := nfstest.NewEnvWith(t, nfstest.Config{Meta: stores.Meta, Blocks: stores.Blocks, Grace: restartGrace})

	scriptA := `set -e
echo data >f
locker hold f w heldA releaseA 3m >holdA.out &
wait
cat holdA.out
echo after-restart >>f
cat f
`
	// B starts once the host has restarted the server ("restarted").
	scriptB := `set -e
locker waitfile restarted 3m
locker try f w 0 0
touch releaseA releaseB
locker hold f w heldB releaseB 1m >holdB.out
cat holdB.out
`
	cfgA, cfgB := e.Guest(t, "guest-a", scriptA), e.Guest(t, "guest-b", scriptB)
	cfgA.Timeout, cfgB.Timeout = 3*time.Minute, 3*time.Minute
	var wg sync.WaitGroup
	results := make([]vm.Result, 2)
	errs := make([]error, 2)
	for i, cfg := range []vm.Config{cfgA, cfgB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = vm.Run(t.Context(), cfg)
		}()
	}
	// However the host side ends, the VMs are waited for (Run ends them
	// on ctx or their timeout).
	defer wg.Wait()

	if err := nfstest.WaitExport(t.Context(), e.Srv.FS, "heldA", 2*time.Minute); err != nil {
		t.Fatalf("guest-a never held its lock: %v", err)
	}
	e.Restart(t, stores)
	wg.Wait()
	resA, resB := results[0], results[1]
	t.Logf("guest-a: %s in %v\n%s", resA.Status, resA.Elapsed.Round(time.Millisecond), resA.Output)
	t.Logf("guest-b: %s in %v\n%s", resB.Status, resB.Elapsed.Round(time.Millisecond), resB.Output)
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%v\nconsole a:\n%s\nconsole b:\n%s", err, resA.Console, resB.Console)
	}
	if resA.ExitCode != 0 || resB.ExitCode != 0 {
		t.Fatalf("exit codes: guest-a %d, guest-b %d\nconsole a:\n%s\nconsole b:\n%s", resA.ExitCode, resB.ExitCode, resA.Console, resB.Console)
	}
	wantA := []string{"hold locked", "hold released"}
	wantB := []string{"waitfile ok", "try conflict", "hold locked", "hold released"}
	if got := nfstest.LockerLines(resA.Output); !slices.Equal(got, wantA) {
		t.Errorf("guest-a results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantA, "\n"))
	}
	if !strings.Contains(resA.Output, "data\nafter-restart\n") {
		t.Errorf("guest-a's file after the restart:\n%s", resA.Output)
	}
	if got := nfstest.LockerLines(resB.Output); !slices.Equal(got, wantB) {
		t.Errorf("guest-b results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantB, "\n"))
	}
	// The server's side of it: one SM_NOTIFY (to A, the only host that
	// held a lock before the restart) answered by A's statd, A's lock
	// reclaimed in grace, none refused, and B's request answered
	// NLM4_DENIED_GRACE_PERIOD at least once before it was refused for
	// A's lock.
	for _, c := range []struct {
		msg  string
		want func(int) bool
		what string
	}{
		{"nlm: SM_NOTIFY delivered", func(n int) bool { return n == 1 }, "1"},
		{"nlm: lock reclaimed in grace", func(n int) bool { return n >= 1 }, "at least 1"},
		{"nlm: lock reclaim refused", func(n int) bool { return n == 0 }, "0"},
	} {
		if n := e.Count(c.msg); !c.want(n) {
			t.Errorf("server logged %q %d times, want %s", c.msg, n, c.what)
		}
	}
	if n := e.Srv.Mark.Grace.Load(); n == 0 {
		t.Errorf("no LOCK was answered NLM4_DENIED_GRACE_PERIOD: guest-b's request did not meet the grace period")
	}
	if n := e.Loc.Count(nfstest.ProgNSM); n == 0 {
		t.Errorf("the server never looked up a guest's statd")
	}
	e.NoWarnings(t)
}
