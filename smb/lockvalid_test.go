package smb

import (
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// TestLockElementValidation: MS-SMB2 §3.3.5.14.1 unlocks the elements of
// an UNLOCK request in order, so an element that is not locked fails the
// request with STATUS_RANGE_NOT_LOCKED before a later invalid element is
// looked at, and the unlocks before a failing element stay done;
// §3.3.5.14.2 takes several locks only with FAIL_IMMEDIATELY on each (a
// lock that would wait is valid only alone), anything else being
// STATUS_INVALID_PARAMETER with nothing taken (smbtorture
// smb2.lock.valid-request).
func TestLockElementValidation(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("v", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	const (
		sh   = wire.SMB2_LOCKFLAG_SHARED_LOCK
		ex   = wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK
		fi   = wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
		un   = wire.SMB2_LOCKFLAG_UNLOCK
		none = 0
	)
	el := func(off, flags uint64) [3]uint64 { return [3]uint64{off, 1, flags} }
	lock := func(els ...[3]uint64) wire.Status {
		t.Helper()
		return c.call(wire.SMB2_LOCK, lockBody(f, els...)).status()
	}
	for _, tc := range []struct {
		name string
		els  [][3]uint64
		want wire.Status
	}{
		{"no flags, then unlock", [][3]uint64{el(9999, none), el(9999, un)}, wire.STATUS_INVALID_PARAMETER},
		{"second lock would wait", [][3]uint64{el(9999, sh|fi), el(9999, sh)}, wire.STATUS_INVALID_PARAMETER},
		{"first lock would wait", [][3]uint64{el(9999, ex), el(10000, ex|fi)}, wire.STATUS_INVALID_PARAMETER},
		{"both without flags", [][3]uint64{el(9999, none), el(9999, none)}, wire.STATUS_INVALID_PARAMETER},
		{"unlock not held, then invalid", [][3]uint64{el(9999, un), el(9999, none)}, wire.STATUS_RANGE_NOT_LOCKED},
		{"unlock with lock flags", [][3]uint64{el(9999, un|ex)}, wire.STATUS_INVALID_PARAMETER},
		{"one lock that would wait", [][3]uint64{el(9999, sh)}, wire.STATUS_SUCCESS},
	} {
		if got := lock(tc.els...); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// "second lock would wait" took nothing: only the last case's shared
	// lock on 9999 is held, so one unlock succeeds and a second fails.
	if st := lock(el(9999, un)); st != wire.STATUS_SUCCESS {
		t.Fatalf("unlock: %v", st)
	}
	if st := lock(el(9999, un)); st != wire.STATUS_RANGE_NOT_LOCKED {
		t.Fatalf("second unlock: %v", st)
	}
	// An unlock followed by an invalid element: the first unlock stays done.
	lock(el(1, ex|fi))
	if st := lock(el(1, un), el(2, sh)); st != wire.STATUS_INVALID_PARAMETER {
		t.Fatalf("unlock then lock: %v", st)
	}
	if st := lock(el(1, un)); st != wire.STATUS_RANGE_NOT_LOCKED {
		t.Fatalf("after a partly done unlock request: %v", st)
	}
}
