package smb

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// lockOwner is the owner of an open's share reservation and byte-range
// locks in the export's lock manager: SMB locks belong to an open
// (MS-SMB2 §3.3.5.14), so the client is the connection's session and the
// key the open.
func (c *conn) lockOwner(sess *session, o *open) locking.Owner {
	if o.owner != (locking.Owner{}) {
		return o.owner // kept across a durable reconnect
	}
	return locking.Owner{Proto: locking.ProtoSMB, Client: fmt.Sprintf("%s/%x", c.remote, sess.id), Key: strconv.FormatUint(o.id, 10)}
}

// lockStatus maps a lock manager error to its status.
func lockStatus(err error, conflict wire.Status) wire.Status {
	var le *locking.LimitError
	switch {
	case err == nil:
		return wire.STATUS_SUCCESS
	case errors.Is(err, locking.ErrDenied), errors.Is(err, locking.ErrBreaking):
		return conflict
	case errors.As(err, &le), errors.Is(err, locking.ErrNoLocks):
		return wire.STATUS_INSUFFICIENT_RESOURCES
	}
	return wire.STATUS_INTERNAL_ERROR
}

// shareModes are the lock manager's access and deny modes of an open
// (MS-FSA §2.1.5.1.2): read for read or execute access, write for write
// or append; the share access not given is denied. FILE_SHARE_DELETE
// has no counterpart in the manager: deleteShares (delshare.go) enforces
// it among SMB opens.
func shareModes(access, share uint32) (acc, deny locking.Mode) {
	if access&(wire.FILE_READ_DATA|wire.FILE_EXECUTE) != 0 {
		acc |= locking.ModeRead
	}
	if access&(wire.FILE_WRITE_DATA|wire.FILE_APPEND_DATA) != 0 {
		acc |= locking.ModeWrite
	}
	if share&wire.FILE_SHARE_READ == 0 {
		deny |= locking.ModeRead
	}
	if share&wire.FILE_SHARE_WRITE == 0 {
		deny |= locking.ModeWrite
	}
	return acc, deny
}

// reserve takes an open's share reservation, so that SMB share modes
// conflict with each other and with NFSv4 OPEN share_deny. An open
// without data access takes none (MS-FSA skips the sharing check for
// attribute-only opens), and none is taken during the lock manager's
// grace period, which SMB clients cannot reclaim in.
func (c *conn) reserve(sess *session, o *open, share uint32) wire.Status {
	// FILE_SHARE_DELETE among SMB opens (delshare.go).
	if st := c.s.delShares.take(o, share); st != wire.STATUS_SUCCESS {
		return st
	}
	acc, deny := shareModes(o.access, share)
	m := o.tree.exp.Locks
	if acc == 0 || m == nil || m.InGrace(c.ctx) {
		return wire.STATUS_SUCCESS
	}
	err := m.Share(c.ctx, o.lockID(), locking.ShareRequest{Owner: c.lockOwner(sess, o), Access: acc, Deny: deny})
	if err != nil {
		c.s.delShares.drop(o)
		return lockStatus(err, wire.STATUS_SHARING_VIOLATION)
	}
	o.shared = true
	return wire.STATUS_SUCCESS
}

// release drops an open's share reservation and byte-range locks.
func (c *conn) release(sess *session, o *open) {
	if o.pipe != nil {
		return
	}
	c.s.delShares.drop(o)
	m := o.tree.exp.Locks
	if m == nil {
		return
	}
	own := c.lockOwner(sess, o)
	if o.shared {
		m.Unshare(c.ctx, o.lockID(), own)
	}
	if len(o.locks) > 0 || len(o.waiting) > 0 {
		// o.waiting: a blocking lock granted but not yet recorded.
		m.ReleaseOwner(c.ctx, own)
	}
}

// smbLock is one byte-range lock of an open as the client took it. SMB
// locks stack (MS-FSA §2.1.5.7): each LOCK element is its own lock, and an
// UNLOCK removes exactly one with the same offset and length. The open
// keeps its list; the lock manager holds their union, exclusive where
// any is, so that other owners (other opens, NLM, NFSv4) see them.
type smbLock struct {
	off, n uint64
	excl   bool
}

func (l smbLock) overlaps(off, n uint64) bool {
	return l.off < off+n && off < l.off+l.n
}

// maxLocksPerOpen bounds the lock list of one open.
const maxLocksPerOpen = 4096

// lock is SMB2 LOCK (MS-SMB2 §3.3.5.14) on the export's lock manager, so
// SMB byte-range locks conflict with NLM and NFSv4 locks. A request is
// all or nothing: elements granted before one that fails are released.
// Between locks of one open, as in Windows and Samba: shared locks stack
// on shared and on exclusive ones; an exclusive lock conflicts with any
// overlapping lock of the same open. A conflict fails at once with
// STATUS_LOCK_NOT_GRANTED, except for a lone element without
// SMB2_LOCKFLAG_FAIL_IMMEDIATELY, which waits (lockWait). Zero-length
// locks are kept in the open's list only (zeroConflict).
func (c *conn) lock(r *request) wire.Status {
	var req wire.LockRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	o, st := r.fileOpen(req.FileID)
	if o == nil {
		return st
	}
	if o.dir {
		return wire.STATUS_INVALID_PARAMETER
	}
	if req.Locks[0].Flags == wire.SMB2_LOCKFLAG_UNLOCK {
		// MS-SMB2 §3.3.5.14.1: the elements are unlocked in order; the
		// first that is not an UNLOCK or not locked ends the request,
		// and those before it stay unlocked.
		for _, el := range req.Locks {
			if el.Flags != wire.SMB2_LOCKFLAG_UNLOCK {
				return wire.STATUS_INVALID_PARAMETER
			}
			if el.Length > 0 && el.Offset+el.Length-1 < el.Offset {
				return wire.STATUS_INVALID_LOCK_RANGE // past 2^64-1
			}
			if st := c.unlockOne(r.sess, o, el.Offset, el.Length); st != wire.STATUS_SUCCESS {
				return st
			}
		}
		wire.EncodeEmptyResponse(&c.enc) // LOCK response: StructureSize 4
		return wire.STATUS_SUCCESS
	}
	// MS-SMB2 §3.3.5.14.2: every element must be a shared or exclusive
	// lock, and one that would wait (no FAIL_IMMEDIATELY) is valid only
	// alone: several locks are taken all at once or not at all.
	for _, el := range req.Locks {
		switch el.Flags {
		case wire.SMB2_LOCKFLAG_SHARED_LOCK, wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK:
			if len(req.Locks) > 1 {
				return wire.STATUS_INVALID_PARAMETER
			}
		case wire.SMB2_LOCKFLAG_SHARED_LOCK | wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY,
			wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK | wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY:
		default:
			return wire.STATUS_INVALID_PARAMETER
		}
		if el.Length > 0 && el.Offset+el.Length-1 < el.Offset {
			return wire.STATUS_INVALID_LOCK_RANGE // past 2^64-1
		}
	}
	// A byte-range lock breaks read caching as a WRITE does
	// (oplock.go; smbtorture smb2.lease.lock1, smb2.oplock.brl1).
	c.breakForWrite(o)
	if el := req.Locks[0]; el.Flags&wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY == 0 {
		return c.lockWait(r, o, smbLock{off: el.Offset, n: el.Length, excl: el.Flags&wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK != 0})
	}
	for i, el := range req.Locks {
		st := c.lockOne(r.sess, o, smbLock{off: el.Offset, n: el.Length, excl: el.Flags&wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK != 0})
		if st != wire.STATUS_SUCCESS {
			for _, done := range req.Locks[:i] {
				c.unlockOne(r.sess, o, done.Offset, done.Length)
			}
			return st
		}
	}
	wire.EncodeEmptyResponse(&c.enc) // LOCK response: StructureSize 4
	return wire.STATUS_SUCCESS
}

// inside reports whether offset p lies strictly inside l: after its
// first byte and before its end. A zero-length lock at p conflicts with
// the locks p is inside of, the rule Windows and Samba follow
// (smbtorture smb2.lock.zerobytelength: a 0-byte lock at 10 conflicts
// with {9, 2} and {9, 3}, not with {10, 2}, {9, 1} or another 0-byte
// lock).
func (l smbLock) inside(p uint64) bool { return l.n > 0 && p > l.off && p-l.off < l.n }

// zeroOverlap is the overlap of two locks when either is zero-length:
// the zero-length one's offset inside the other.
func zeroOverlap(a, b smbLock) bool {
	switch {
	case a.n == 0 && b.n == 0:
		return false
	case a.n == 0:
		return b.inside(a.off)
	default:
		return a.inside(b.off)
	}
}

// ownCheck applies the open's own rules to a new lock l: an exclusive
// lock over any lock of the open is refused (zero-length ones by
// zeroOverlap). It reports whether the manager must be asked (a lock
// with bytes not under the open's own exclusive one).
func ownCheck(o *open, l smbLock) (ask bool, st wire.Status) {
	coveredByOwn := false
	for _, h := range o.locks {
		if h.n == 0 || l.n == 0 {
			if l.excl && zeroOverlap(h, l) {
				return false, wire.STATUS_LOCK_NOT_GRANTED
			}
			continue
		}
		if !h.overlaps(l.off, l.n) {
			continue
		}
		if l.excl {
			return false, wire.STATUS_LOCK_NOT_GRANTED
		}
		if h.excl && h.off <= l.off && l.off+l.n <= h.off+h.n {
			coveredByOwn = true
		}
	}
	return l.n > 0 && !coveredByOwn, wire.STATUS_SUCCESS
}

// zeroConflict applies the zero-length rule against other owners, which
// the manager does not know of: a zero-length lock conflicts with
// another owner's lock it is inside of (from the manager), and a lock
// with another open's zero-length lock inside it (the opens of this
// connection: another connection's zero-length locks are not seen).
func (c *conn) zeroConflict(sess *session, o *open, l smbLock) bool {
	if l.n == 0 {
		m := o.tree.exp.Locks
		own := c.lockOwner(sess, o)
		for _, h := range m.Locks(o.h.ID) {
			if h.Owner != own && (l.excl || h.Exclusive) && (smbLock{off: h.Range.Off, n: h.Range.Len}).inside(l.off) {
				return true
			}
		}
		return false
	}
	for _, s := range c.sessions {
		for _, x := range s.opens {
			if x == o || x.pipe != nil || x.tree.exp != o.tree.exp || x.h.ID != o.h.ID {
				continue
			}
			for _, z := range x.locks {
				if z.n == 0 && (l.excl || z.excl) && l.inside(z.off) {
					return true
				}
			}
		}
	}
	return false
}

// lockCheck is what a new lock must pass before the manager: the bound
// on the open's locks, its own rules (ownCheck) and the zero-length rule
// (zeroConflict). ask: the manager must be asked.
func (c *conn) lockCheck(sess *session, o *open, l smbLock) (ask bool, st wire.Status) {
	if len(o.locks) >= maxLocksPerOpen {
		return false, wire.STATUS_INSUFFICIENT_RESOURCES
	}
	if ask, st = ownCheck(o, l); st != wire.STATUS_SUCCESS {
		return false, st
	}
	if c.zeroConflict(sess, o, l) {
		return false, wire.STATUS_LOCK_NOT_GRANTED
	}
	return ask, wire.STATUS_SUCCESS
}

// lockOne adds one lock to the open's list and the manager.
func (c *conn) lockOne(sess *session, o *open, l smbLock) wire.Status {
	ask, st := c.lockCheck(sess, o, l)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if ask {
		m := o.tree.exp.Locks
		own := c.lockOwner(sess, o)
		err := m.Lock(c.ctx, o.lockID(), locking.Request{Owner: own, Range: locking.Range{Off: l.off, Len: l.n}, Exclusive: l.excl})
		if err != nil {
			return lockStatus(err, wire.STATUS_LOCK_NOT_GRANTED)
		}
	}
	c.lockTaken(sess, o, l, ask)
	return wire.STATUS_SUCCESS
}

// lockTaken records a lock granted (in the manager when inManager).
func (c *conn) lockTaken(sess *session, o *open, l smbLock, inManager bool) {
	if inManager && !l.excl {
		c.reassert(sess, o, l.off, l.n, true) // a shared lock must not downgrade an own exclusive one
	}
	o.locks = append(o.locks, l)
}

// lockWait is a blocking lock: an element without FAIL_IMMEDIATELY,
// alone in its request (MS-SMB2 §3.3.5.14.2). One that another owner's
// lock blocks (an SMB open's, or an NLM or NFSv4 lock) is queued in the
// manager and the request goes async (§3.3.4.2); it is granted when the
// conflicting locks go away. CANCEL completes it with STATUS_CANCELLED
// (§3.3.5.16); closing its open, or the tree disconnect or logoff that
// closes it, with STATUS_RANGE_NOT_LOCKED, unless it was granted first,
// which succeeds (smbtorture smb2.lock.cancel, cancel-tdis,
// cancel-logoff, as Windows). A conflict with the open's own locks or
// by the zero-length rule fails at once, as does one that may not go
// async (r.asyncDenied: past the connection's bound, or not last in a
// compound).
func (c *conn) lockWait(r *request, o *open, l smbLock) wire.Status {
	sess := r.sess
	ask, st := c.lockCheck(sess, o, l)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if !ask {
		c.lockTaken(sess, o, l, false)
		wire.EncodeEmptyResponse(&c.enc)
		return wire.STATUS_SUCCESS
	}
	if slices.Contains(o.waiting, l) {
		// The manager keeps one request per owner, range and type: a
		// second would never be told of its grant.
		return wire.STATUS_LOCK_NOT_GRANTED
	}
	m := o.tree.exp.Locks
	own := c.lockOwner(sess, o)
	rng := locking.Range{Off: l.off, Len: l.n}
	req := locking.Request{Owner: own, Range: rng, Exclusive: l.excl}
	if denied := r.asyncDenied(); denied != wire.STATUS_SUCCESS {
		if err := m.Lock(c.ctx, o.h.ID, req); err != nil {
			return lockStatus(err, denied)
		}
		r.asyncRefused = false // it did not need to wait
		c.lockTaken(sess, o, l, true)
		wire.EncodeEmptyResponse(&c.enc)
		return wire.STATUS_SUCCESS
	}
	// Granted runs on whatever goroutine releases the conflicting lock,
	// maybe holding another connection's lock: it only signals.
	granted := make(chan error, 1)
	req.Block = true
	req.Granted = func(err error) { granted <- err }
	switch err := m.Lock(c.ctx, o.h.ID, req); err {
	case nil:
		c.lockTaken(sess, o, l, true)
		wire.EncodeEmptyResponse(&c.enc)
		return wire.STATUS_SUCCESS
	case locking.ErrBlocked:
	default:
		return lockStatus(err, wire.STATUS_LOCK_NOT_GRANTED)
	}
	var ar *asyncReq
	ar = r.goAsync(o, func(why cancelReason) {
		if !m.Cancel(o.h.ID, own, rng, l.excl) {
			return // granted meanwhile: the goroutine below completes it
		}
		o.unwait(l)
		st := wire.STATUS_CANCELLED
		if why == cancelClosed {
			st = wire.STATUS_RANGE_NOT_LOCKED
		}
		ar.complete(st, nil)
	})
	o.waiting = append(o.waiting, l)
	c.spawn(func() {
		var err error
		select {
		case err = <-granted:
		case <-ar.Done():
			return // cancelled: the manager dropped the request
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		o.unwait(l)
		switch {
		case ar.finished():
			// Dropped with the connection, whose close released the
			// lock (release: it was still in o.waiting).
		case errors.Is(err, locking.ErrCanceled):
			ar.complete(wire.STATUS_CANCELLED, nil)
		case err != nil:
			ar.complete(lockStatus(err, wire.STATUS_LOCK_NOT_GRANTED), nil)
		case o.closed:
			// Granted before its open closed, whose close released it:
			// Windows answers success.
			ar.complete(wire.STATUS_SUCCESS, wire.EncodeEmptyResponse)
		default:
			c.lockTaken(sess, o, l, true)
			ar.complete(wire.STATUS_SUCCESS, wire.EncodeEmptyResponse)
		}
	})
	return wire.STATUS_PENDING
}

// unlockOne removes the open's lock of exactly that range.
func (c *conn) unlockOne(sess *session, o *open, off, n uint64) wire.Status {
	i := -1
	for j, l := range o.locks {
		if l.off == off && l.n == n {
			i = j
			if l.excl {
				break // the exclusive one goes first (smbtorture smb2.lock.unlock)
			}
		}
	}
	if i < 0 {
		return wire.STATUS_RANGE_NOT_LOCKED
	}
	o.locks = append(o.locks[:i], o.locks[i+1:]...)
	if n == 0 {
		return wire.STATUS_SUCCESS
	}
	m := o.tree.exp.Locks
	if err := m.Unlock(c.ctx, o.lockID(), c.lockOwner(sess, o), locking.Range{Off: off, Len: n}); err != nil {
		return lockStatus(err, wire.STATUS_RANGE_NOT_LOCKED)
	}
	c.reassert(sess, o, off, n, false)
	return wire.STATUS_SUCCESS
}

// reassert puts back in the manager the open's locks overlapping
// [off, off+n): shared ones first, then exclusive ones, so the manager
// holds their union with exclusive where any is (exclusiveOnly: only
// those). The manager's POSIX semantics merge and replace an owner's
// locks; this restores what stacked SMB locks still cover.
func (c *conn) reassert(sess *session, o *open, off, n uint64, exclusiveOnly bool) {
	m := o.tree.exp.Locks
	own := c.lockOwner(sess, o)
	for pass := range 2 {
		excl := pass == 1
		if exclusiveOnly && !excl {
			continue
		}
		for _, l := range o.locks {
			if l.n == 0 || l.excl != excl || !l.overlaps(off, n) {
				continue
			}
			if err := m.Lock(c.ctx, o.lockID(), locking.Request{Owner: own, Range: locking.Range{Off: l.off, Len: l.n}, Exclusive: excl}); err != nil {
				c.s.logs.Warn(c.s.log, "smb: could not restore a stacked lock", "remote", c.remote.String(), "err", err)
			}
		}
	}
}

// unwait removes a blocking request from the open's list.
func (o *open) unwait(l smbLock) {
	if i := slices.Index(o.waiting, l); i >= 0 {
		o.waiting = slices.Delete(o.waiting, i, i+1)
	}
}

// checkLocks fails I/O on a range locked against it (SMB byte-range
// locks are mandatory, MS-FSA §2.1.4.10): a write under any lock of
// another owner or a shared lock of the same open, a read under another
// owner's exclusive lock.
func (c *conn) checkLocks(sess *session, o *open, off uint64, n int, write bool) wire.Status {
	m := o.tree.exp.Locks
	if n == 0 || m == nil {
		return wire.STATUS_SUCCESS
	}
	if write {
		for _, l := range o.locks {
			if !l.excl && l.n > 0 && l.overlaps(off, uint64(n)) {
				return wire.STATUS_FILE_LOCK_CONFLICT
			}
		}
	}
	l, err := m.Test(c.ctx, o.lockID(), c.lockOwner(sess, o), locking.Range{Off: off, Len: uint64(n)}, write)
	if err == nil && l != nil {
		return wire.STATUS_FILE_LOCK_CONFLICT
	}
	return wire.STATUS_SUCCESS
}
