package smb

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
	"github.com/dittofs/dittofs/store"
)

const (
	lkX  = wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK
	lkS  = wire.SMB2_LOCKFLAG_SHARED_LOCK
	lkUn = wire.SMB2_LOCKFLAG_UNLOCK
	lkFI = wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
)

// lockFile opens name twice on c (two SMB lock owners) and returns the
// handles and the file's id in the export's lock manager.
func lockFile(ts *testServer, c *client, name string) (f1, f2 wire.FileID, m *locking.Manager, id uint64) {
	ts.t.Helper()
	f1, _ = c.create(name, wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	f2, _ = c.create(name, wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	e := ts.tab.Lookup("/export")
	_, attr, err := ts.fs.Lookup(context.Background(), &store.Cred{}, e.Root(), name)
	if err != nil {
		ts.t.Fatal(err)
	}
	return f1, f2, e.Locks, attr.ID
}

func (c *client) lock(f wire.FileID, els ...[3]uint64) wire.Status {
	c.t.Helper()
	return c.call(wire.SMB2_LOCK, lockBody(f, els...)).status()
}

// lockPending sends a blocking LOCK and checks it goes async; it returns
// its MessageId and AsyncId.
func (c *client) lockPending(f wire.FileID, el [3]uint64) (uint64, uint64) {
	c.t.Helper()
	id := c.send(wire.SMB2_LOCK, lockBody(f, el))
	return id, c.interim(c.recvOne(), id)
}

var nlmOwner = locking.Owner{Proto: locking.ProtoNLM, Client: "host", Key: "svid"}

// TestBlockingLock: a LOCK without FAIL_IMMEDIATELY that another open's
// lock blocks goes async and is granted when that lock is unlocked, on
// the same connection or another (MS-SMB2 §3.3.5.14.2, §3.3.4.2); the
// final response is signed and the lock then held.
func TestBlockingLock(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, f2, _, _ := lockFile(ts, c, "b")
	if st := c.lock(f1, [3]uint64{100, 50, lkX}); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	id, aid := c.lockPending(f2, [3]uint64{120, 10, lkX})
	if st := c.lock(f1, [3]uint64{100, 50, lkUn}); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	r := c.recvOne()
	c.final(r, id, aid, wire.STATUS_SUCCESS)
	if !r.h.IsSigned() {
		t.Fatal("final LOCK response not signed")
	}
	if st := c.lock(f1, [3]uint64{125, 1, lkS | lkFI}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("lock granted to the waiter is not held: %v", st)
	}
	if st := c.lock(f2, [3]uint64{120, 10, lkUn}); st != wire.STATUS_SUCCESS {
		t.Fatalf("unlock of the granted lock: %v", st)
	}

	// Across connections: the grant is handed to the waiter's connection.
	c2 := ts.connect(wire.SMB2_DIALECT_210)
	g, _ := c2.create("b", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	if st := c.lock(f1, [3]uint64{0, 10, lkS}); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	id, aid = c2.lockPending(g, [3]uint64{5, 1, lkX})
	if st := c.close(f1); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c2.final(c2.recvOne(), id, aid, wire.STATUS_SUCCESS)
	if st := c.lock(f2, [3]uint64{5, 1, lkS | lkFI}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("lock granted across connections is not held: %v", st)
	}
}

// TestBlockingLockOtherProtocols: an NLM or NFSv4 lock blocks an SMB
// blocking lock, which is granted when that lock is released (the lock
// manager is shared by the protocols).
func TestBlockingLockOtherProtocols(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, _, m, fileID := lockFile(ts, c, "n")
	ctx := context.Background()
	if err := m.Lock(ctx, fileID, locking.Request{Owner: nlmOwner, Range: locking.Range{Off: 0, Len: 10}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	id, aid := c.lockPending(f1, [3]uint64{0, 1, lkS})
	if err := m.Unlock(ctx, fileID, nlmOwner, locking.Range{Off: 0, Len: 10}); err != nil {
		t.Fatal(err)
	}
	c.final(c.recvOne(), id, aid, wire.STATUS_SUCCESS)
	if err := m.Lock(ctx, fileID, locking.Request{Owner: nlmOwner, Range: locking.Range{Off: 0, Len: 1}, Exclusive: true}); !errors.Is(err, locking.ErrDenied) {
		t.Fatalf("NLM lock over the granted SMB lock: %v", err)
	}
	c.lock(f1, [3]uint64{0, 1, lkUn})

	v4 := locking.Owner{Proto: locking.ProtoNFS4, Client: "client", Key: "owner"}
	if err := m.Lock(ctx, fileID, locking.Request{Owner: v4, Range: locking.Range{Off: 50, Len: 50}}); err != nil {
		t.Fatal(err)
	}
	id, aid = c.lockPending(f1, [3]uint64{60, 1, lkX})
	if err := m.ReleaseOwner(ctx, v4); err != nil {
		t.Fatal(err)
	}
	c.final(c.recvOne(), id, aid, wire.STATUS_SUCCESS)
}

// TestBlockingLockCancel: CANCEL completes a pending lock with
// STATUS_CANCELLED and withdraws it; an UNLOCK of the pending range is
// STATUS_RANGE_NOT_LOCKED; closing the waiting open completes it with
// STATUS_RANGE_NOT_LOCKED (MS-SMB2 §3.3.5.16; smbtorture
// smb2.lock.cancel).
func TestBlockingLockCancel(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, f2, m, fileID := lockFile(ts, c, "c")
	c.lock(f1, [3]uint64{100, 10, lkX})

	id, aid := c.lockPending(f2, [3]uint64{100, 10, lkX})
	if st := c.lock(f2, [3]uint64{100, 10, lkUn}); st != wire.STATUS_RANGE_NOT_LOCKED {
		t.Fatalf("unlock of a pending lock: %v", st)
	}
	c.cancel(id, 0, c.sessionID)
	c.final(c.recvOne(), id, aid, wire.STATUS_CANCELLED)

	id, aid = c.lockPending(f2, [3]uint64{100, 10, lkX})
	c.cancel(id, aid, c.sessionID)
	c.final(c.recvOne(), id, aid, wire.STATUS_CANCELLED)

	id, aid = c.lockPending(f2, [3]uint64{100, 10, lkX})
	if st := c.close(f2); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c.final(c.recvOne(), id, aid, wire.STATUS_RANGE_NOT_LOCKED)

	// Nothing is left queued: once f1 unlocks, nobody holds the range.
	c.lock(f1, [3]uint64{100, 10, lkUn})
	if ls := m.Locks(fileID); len(ls) != 0 || m.Stats().Waiters != 0 {
		t.Fatalf("left in the manager: %v, %d waiters", ls, m.Stats().Waiters)
	}
}

// TestBlockingLockDuplicate: a second blocking request of one open for
// the same range and type while the first waits fails at once (the
// manager keeps one such request and would not tell the second of its
// grant); the first is still granted.
func TestBlockingLockDuplicate(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, f2, m, fileID := lockFile(ts, c, "d")
	c.lock(f1, [3]uint64{0, 10, lkX})
	id, aid := c.lockPending(f2, [3]uint64{0, 10, lkS})
	if r := c.call(wire.SMB2_LOCK, lockBody(f2, [3]uint64{0, 10, lkS})); r.status() != wire.STATUS_LOCK_NOT_GRANTED || r.h.IsAsync() {
		t.Fatalf("duplicate blocking request: %v async %v", r.status(), r.h.IsAsync())
	}
	c.lock(f1, [3]uint64{0, 10, lkUn})
	c.final(c.recvOne(), id, aid, wire.STATUS_SUCCESS)
	if st := c.lock(f2, [3]uint64{0, 10, lkUn}); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if ls := m.Locks(fileID); len(ls) != 0 || m.Stats().Waiters != 0 {
		t.Fatalf("left in the manager: %v, %d waiters", ls, m.Stats().Waiters)
	}
}

// TestBlockingLockTreeDisconnectLogoff: TREE_DISCONNECT and LOGOFF close
// the opens in the order they were opened, so a lock waiting on an
// earlier open is granted before its own open closes and succeeds, as
// Windows answers (smbtorture smb2.lock.cancel-tdis, cancel-logoff); the
// manager keeps nothing.
func TestBlockingLockTreeDisconnectLogoff(t *testing.T) {
	ts := startServer(t)
	for _, end := range []wire.Command{wire.SMB2_TREE_DISCONNECT, wire.SMB2_LOGOFF} {
		c := ts.connect(wire.SMB2_DIALECT_311)
		f1, f2, m, fileID := lockFile(ts, c, "t")
		c.lock(f1, [3]uint64{100, 10, lkX})
		id, aid := c.lockPending(f2, [3]uint64{100, 10, lkX})
		if st := c.call(end, Lay(uint16(4), uint16(0))).status(); st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		r := c.recvOne()
		c.final(r, id, aid, wire.STATUS_SUCCESS)
		if !r.h.IsSigned() {
			t.Fatalf("%v: final response not signed", end)
		}
		if ls := m.Locks(fileID); len(ls) != 0 || m.Stats().Waiters != 0 {
			t.Fatalf("%v: left in the manager: %v, %d waiters", end, ls, m.Stats().Waiters)
		}
	}
}

// TestBlockingLockConnectionEnd: the pending lock of a connection that
// ends is withdrawn from the manager.
func TestBlockingLockConnectionEnd(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, _, m, fileID := lockFile(ts, c, "e")
	ctx := context.Background()
	if err := m.Lock(ctx, fileID, locking.Request{Owner: nlmOwner, Range: locking.Range{Off: 0, Len: 10}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	c.lockPending(f1, [3]uint64{0, 10, lkX})
	c.nc.Close()
	// The server notices the end of the connection on its own goroutine.
	for deadline := time.Now().Add(10 * time.Second); m.Stats().Waiters != 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("the pending lock of a closed connection stays queued")
		}
	}
	m.Unlock(ctx, fileID, nlmOwner, locking.Range{Off: 0, Len: 10})
	if ls := m.Locks(fileID); len(ls) != 0 {
		t.Fatalf("granted to a closed connection: %v", ls)
	}
}

// TestBlockingLockImmediate: a blocking lock that conflicts only with
// the open's own locks, or past the bound on pending requests, does not
// wait: STATUS_LOCK_NOT_GRANTED, STATUS_INSUFFICIENT_RESOURCES (MS-SMB2
// §3.3.4.2); one without conflict is granted at once.
func TestBlockingLockImmediate(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.maxAsyncReqs = 1 })
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, f2, _, _ := lockFile(ts, c, "i")
	if st := c.lock(f1, [3]uint64{0, 10, lkX}); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if r := c.call(wire.SMB2_LOCK, lockBody(f1, [3]uint64{5, 1, lkX})); r.status() != wire.STATUS_LOCK_NOT_GRANTED || r.h.IsAsync() {
		t.Fatalf("own conflict: %v async %v", r.status(), r.h.IsAsync())
	}
	c.lockPending(f2, [3]uint64{0, 1, lkX})
	if r := c.call(wire.SMB2_LOCK, lockBody(f2, [3]uint64{1, 1, lkS})); r.status() != wire.STATUS_INSUFFICIENT_RESOURCES || r.h.IsAsync() {
		t.Fatalf("past the bound: %v async %v", r.status(), r.h.IsAsync())
	}
	if st := c.lock(f2, [3]uint64{50, 1, lkS}); st != wire.STATUS_SUCCESS {
		t.Fatalf("past the bound, no conflict: %v", st)
	}
}

// TestZeroLengthLocks: a zero-length lock at p conflicts with a lock p
// is strictly inside of, on the same open (exclusive) or another, and
// the other way round; two zero-length locks never conflict (MS-FSA
// §2.1.5.7; smbtorture smb2.lock.zerobytelength, errorcode).
func TestZeroLengthLocks(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, f2, _, _ := lockFile(ts, c, "z")
	cases := []struct {
		a, b [2]uint64
		want wire.Status
	}{
		{[2]uint64{10, 0}, [2]uint64{10, 0}, wire.STATUS_SUCCESS},
		{[2]uint64{10, 0}, [2]uint64{9, 1}, wire.STATUS_SUCCESS},
		{[2]uint64{10, 0}, [2]uint64{10, 1}, wire.STATUS_SUCCESS},
		{[2]uint64{10, 0}, [2]uint64{11, 1}, wire.STATUS_SUCCESS},
		{[2]uint64{10, 0}, [2]uint64{9, 2}, wire.STATUS_LOCK_NOT_GRANTED},
		{[2]uint64{10, 0}, [2]uint64{10, 2}, wire.STATUS_SUCCESS},
		{[2]uint64{10, 0}, [2]uint64{9, 3}, wire.STATUS_LOCK_NOT_GRANTED},
		{[2]uint64{9, 2}, [2]uint64{10, 0}, wire.STATUS_LOCK_NOT_GRANTED},
		{[2]uint64{9, 1}, [2]uint64{10, 0}, wire.STATUS_SUCCESS},
		{[2]uint64{10, 2}, [2]uint64{10, 0}, wire.STATUS_SUCCESS},
		{[2]uint64{0, 0}, [2]uint64{0, 0}, wire.STATUS_SUCCESS},
	}
	for _, same := range []bool{true, false} {
		second := f2
		if same {
			second = f1
		}
		for _, k := range cases {
			if st := c.lock(f1, [3]uint64{k.a[0], k.a[1], lkX | lkFI}); st != wire.STATUS_SUCCESS {
				t.Fatalf("%v: %v", k.a, st)
			}
			if st := c.lock(second, [3]uint64{k.b[0], k.b[1], lkX | lkFI}); st != k.want {
				t.Errorf("same open %v: %v then %v: %v, want %v", same, k.a, k.b, st, k.want)
			} else if st == wire.STATUS_SUCCESS {
				c.lock(second, [3]uint64{k.b[0], k.b[1], lkUn})
			}
			if st := c.lock(f1, [3]uint64{k.a[0], k.a[1], lkUn}); st != wire.STATUS_SUCCESS {
				t.Fatalf("unlock %v: %v", k.a, st)
			}
		}
	}
	// A shared lock of another open conflicts with an exclusive
	// zero-length lock inside it, not with a shared one.
	c.lock(f1, [3]uint64{10, 0, lkX | lkFI})
	c.lock(f1, [3]uint64{10, 0, lkS | lkFI})
	if st := c.lock(f2, [3]uint64{5, 10, lkS | lkFI}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("shared over an exclusive zero-length lock: %v", st)
	}
	c.lock(f1, [3]uint64{10, 0, lkUn}) // the exclusive one goes first
	if st := c.lock(f2, [3]uint64{5, 10, lkS | lkFI}); st != wire.STATUS_SUCCESS {
		t.Fatalf("shared over a shared zero-length lock: %v", st)
	}
}

// TestUnlockExclusiveFirst: of an exclusive and a shared lock on the
// same range of one open, UNLOCK removes the exclusive one first
// (smbtorture smb2.lock.unlock).
func TestUnlockExclusiveFirst(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, f2, _, _ := lockFile(ts, c, "u")
	c.lock(f1, [3]uint64{10, 10, lkX | lkFI})
	c.lock(f1, [3]uint64{10, 10, lkS | lkFI})
	if st := c.lock(f2, [3]uint64{5, 10, lkS | lkFI}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatal(st)
	}
	c.lock(f1, [3]uint64{10, 10, lkUn})
	if st := c.lock(f2, [3]uint64{5, 10, lkS | lkFI}); st != wire.STATUS_SUCCESS {
		t.Fatalf("shared lock after the exclusive one is unlocked: %v", st)
	}
	if st := c.lock(f2, [3]uint64{5, 10, lkX | lkFI}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("the shared lock is left: %v", st)
	}
}
