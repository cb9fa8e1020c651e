//go:build e2e

package nfs4_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// grantAccepted is the nlm package's message for a GRANTED callback the
// client answered NLM4_GRANTED.
const grantAccepted = "nlm: GRANTED callback accepted"

// TestCrossProtocol mounts one export over NFSv3 with NLM locking in
// guest A and over NFSv4.0 in guest B, both at once: a file written over
// each protocol is read over the other with the same checksum; B's fcntl
// lock (NFSv4 LOCK) makes A's F_SETLK fail and A's F_SETLKW (NLM LOCK)
// queue on the server (the host marks it "blocked.1"); once B unlocks
// (LOCKU), the lock manager grants A's waiting lock with a GRANTED
// callback, and afterwards B can lock again.
func TestCrossProtocol(t *testing.T) {
	timed(t)
	e := newEnv(t)
	scriptA := `set -e
locker waitfile b-wrote 3m
md5sum fromB
dd if=/dev/urandom of=fromA bs=64k count=16 2>/dev/null
md5sum fromA
touch a-wrote
locker waitfile heldB 3m
locker try f w 0 0
locker try f r 10 5
touch releaseA
locker hold f w heldA releaseA 3m
touch A-done
`
	scriptB := `set -e
dd if=/dev/urandom of=fromB bs=64k count=16 2>/dev/null
md5sum fromB
touch b-wrote
locker waitfile a-wrote 3m
md5sum fromA
locker hold f w heldB releaseB 3m >holdB.out &
locker waitfile blocked.1 3m
touch releaseB
wait
cat holdB.out
locker waitfile A-done 3m
locker try f w 0 0
`
	cfgA, cfgB := e.Guest(t, "guest-a", scriptA), e.Guest4(t, "guest-b", scriptB)
	cfgA.Timeout, cfgB.Timeout = 5*time.Minute, 5*time.Minute
	res, errs := nfstest.RunAll(t, cfgA, cfgB)
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%v\nconsole a:\n%s\nconsole b:\n%s", err, res[0].Console, res[1].Console)
	}
	if res[0].ExitCode != 0 || res[1].ExitCode != 0 {
		t.Fatalf("exit codes: guest-a %d, guest-b %d\nconsole a:\n%s\nconsole b:\n%s", res[0].ExitCode, res[1].ExitCode, res[0].Console, res[1].Console)
	}
	sumA, sumB := sums(res[0].Output), sums(res[1].Output)
	for _, f := range []string{"fromA", "fromB"} {
		if sumA[f] == "" || sumA[f] != sumB[f] {
			t.Errorf("%s: md5 %q over NFSv3, %q over NFSv4.0", f, sumA[f], sumB[f])
		}
	}
	wantA := []string{"waitfile ok", "waitfile ok", "try conflict", "try conflict", "hold locked", "hold released"}
	wantB := []string{"waitfile ok", "waitfile ok", "hold locked", "hold released", "waitfile ok", "try ok"}
	if got := nfstest.LockerLines(res[0].Output); !slices.Equal(got, wantA) {
		t.Errorf("guest-a (NFSv3) results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantA, "\n"))
	}
	if got := nfstest.LockerLines(res[1].Output); !slices.Equal(got, wantB) {
		t.Errorf("guest-b (NFSv4.0) results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantB, "\n"))
	}
	// A's F_SETLKW was queued once and granted by one GRANTED callback
	// when B's NFSv4 unlock released the range.
	if n := e.Count(grantAccepted); n != 1 {
		t.Errorf("GRANTED callbacks accepted by guest-a: %d, want 1", n)
	}
	checkServer(t, e)
}
