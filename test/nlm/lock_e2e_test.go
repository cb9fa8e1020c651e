//go:build e2e

package nlm_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/vm"
)

// Messages of the nlm package the tests count.
const (
	// grantAccepted is logged for each GRANTED callback a client answered
	// NLM4_GRANTED.
	grantAccepted = "nlm: GRANTED callback accepted"
	// grantRefused is the warning when a client refuses a GRANTED
	// callback or cannot be reached.
	grantRefused = "nlm: GRANTED callback failed; lock released"
)

// TestTwoProcesses locks between two processes of one guest: fcntl write
// and read locks, F_GETLK naming the holder, flock (which the Linux NFS
// client maps onto a whole-file NLM lock), and a blocked F_SETLKW that is
// granted when the holder unlocks. The Linux client checks its own lock
// table before asking the server (nlmclnt_lock's FL_ACCESS pass), so a
// conflict between two processes of one guest is mostly settled in the
// guest, and a blocked F_SETLKW waits there: the GRANTED callback is
// proved by TestTwoGuests.
func TestTwoProcesses(t *testing.T) {
	e := nfstest.NewEnv(t)
	script := `set -e
echo data >f
# Process 1 holds a write lock on the whole file.
locker hold f w held1 release1 2m >hold1.out &
locker waitfile held1 1m
locker try f w 0 0
locker try f r 10 5
locker get f w 0 0
locker flock f ex
# A blocked F_SETLKW in process 2, granted when process 1 unlocks.
locker hold f w held2 release2 2m >hold2.out &
p2=$!
touch release1
locker waitfile held2 1m
touch release2
wait $p2
wait
cat hold1.out hold2.out
locker try f w 0 0
locker get f w 0 0
# Read locks share; a write lock conflicts with them.
locker hold f r held3 release3 2m >hold3.out &
locker waitfile held3 1m
locker try f r 0 0
locker try f w 0 0
locker flock g sh
touch release3
wait
cat hold3.out
# flock against flock.
locker hold g ex held4 release4 2m >hold4.out &
locker waitfile held4 1m
locker flock g sh
locker try g w 0 0
touch release4
wait
cat hold4.out
locker flock g ex
`
	res := nfstest.Run(t, e.Guest(t, "guest-a", script))
	got := nfstest.NormalizePids(nfstest.LockerLines(res.Output))
	want := []string{
		"waitfile ok",
		"try conflict",
		"try conflict",
		"get w 0 0 PID",
		"flock conflict",
		"waitfile ok",
		"hold locked", "hold released", // process 1
		"hold locked", "hold released", // process 2, after the grant
		"try ok",
		"get unlocked",
		"waitfile ok",
		"try ok",
		"try conflict",
		"flock ok",
		"hold locked", "hold released",
		"waitfile ok",
		"flock conflict",
		"try conflict",
		"hold locked", "hold released",
		"flock ok",
	}
	if !slices.Equal(got, want) {
		t.Errorf("guest results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The guest's lockd usually resolves the two processes' conflict
	// locally, but a blocked request can reach the server; its GRANTED
	// must then be accepted like any other.
	e.NoWarnings(t)
}

// TestTwoGuests locks across two VMs at once: guest A holds a write lock;
// guest B sees the conflict through F_SETLK, F_GETLK and flock, then blocks
// in F_SETLKW; once the server has answered NLM4_BLOCKED (the host marks it
// with "blocked.1" in the export), A unlocks, the server sends GRANTED to
// B's forwarded lockd port, and B gets the lock.
func TestTwoGuests(t *testing.T) {
	e := nfstest.NewEnv(t)
	scriptA := `set -e
echo data >f
locker hold f w heldA releaseA 3m >holdA.out &
locker waitfile heldA 1m
locker waitfile blocked.1 3m
touch releaseA
wait
cat holdA.out
locker waitfile B-done 3m
locker try f w 0 0
`
	scriptB := `set -e
locker waitfile heldA 3m
locker try f w 0 0
locker try f r 100 1
locker get f r 0 0
locker flock f sh
locker hold f w heldB releaseB 3m >holdB.out &
locker waitfile heldB 3m
locker get f w 0 0
touch releaseB
wait
cat holdB.out
touch B-done
`
	cfgA, cfgB := e.Guest(t, "guest-a", scriptA), e.Guest(t, "guest-b", scriptB)
	cfgA.Timeout, cfgB.Timeout = 8*time.Minute, 8*time.Minute
	var resB vm.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := vm.Run(t.Context(), cfgB)
		if err != nil {
			t.Errorf("guest-b: %v\n%s", err, res.Console)
		}
		resB = res
	}()
	resA, errA := vm.Run(t.Context(), cfgA)
	<-done
	t.Logf("guest-a: %s in %v\n%s", resA.Status, resA.Elapsed.Round(time.Millisecond), resA.Output)
	t.Logf("guest-b: %s in %v\n%s", resB.Status, resB.Elapsed.Round(time.Millisecond), resB.Output)
	if errA != nil {
		t.Fatalf("guest-a: %v\n%s", errA, resA.Console)
	}
	if resA.ExitCode != 0 || resB.ExitCode != 0 {
		t.Fatalf("exit codes: guest-a %d, guest-b %d\nconsole a:\n%s\nconsole b:\n%s", resA.ExitCode, resB.ExitCode, resA.Console, resB.Console)
	}
	wantA := []string{"waitfile ok", "waitfile ok", "hold locked", "hold released", "waitfile ok", "try ok"}
	wantB := []string{
		"waitfile ok",
		"try conflict",
		"try conflict",
		"get w 0 0 PID",
		"flock conflict",
		"waitfile ok",
		"get w 0 0 PID", // B's other process holds it now
		"hold locked", "hold released",
	}
	gotA, gotB := nfstest.NormalizePids(nfstest.LockerLines(resA.Output)), nfstest.NormalizePids(nfstest.LockerLines(resB.Output))
	if !slices.Equal(gotA, wantA) {
		t.Errorf("guest-a results:\n%s\nwant:\n%s", strings.Join(gotA, "\n"), strings.Join(wantA, "\n"))
	}
	if !slices.Equal(gotB, wantB) {
		t.Errorf("guest-b results:\n%s\nwant:\n%s", strings.Join(gotB, "\n"), strings.Join(wantB, "\n"))
	}
	// B's F_SETLKW was queued on the server once (blocked.1) and granted
	// by exactly one GRANTED callback that B's lockd accepted: QEMU
	// delivers it from 10.0.2.2, the guest's source NAT makes it come from
	// 10.0.2.100 (the address B mounted, which nlmclnt_grant compares with
	// the caller's), and B's waiter wakes at once instead of at its
	// lockd's 30 s re-poll. A refused callback logs grantRefused, a
	// warning.
	if n := e.Count(grantAccepted); n != 1 {
		t.Errorf("GRANTED callbacks accepted by the guest: %d, want 1", n)
	}
	e.NoWarnings(t)
}
