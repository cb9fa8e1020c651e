package smb

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// lockOwner is the owner of an open's share reservation and byte-range
// locks in the export's lock manager: SMB locks belong to an open
// (MS-SMB2 §3.3.5.14), so the client is the connection's session and the
// key the open.
func (c *conn) lockOwner(sess *session, o *open) locking.Owner {
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
// has no counterpart in the manager and is not enforced.
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
	acc, deny := shareModes(o.access, share)
	m := o.tree.exp.Locks
	if acc == 0 || m == nil || m.InGrace(c.ctx) {
		return wire.STATUS_SUCCESS
	}
	err := m.Share(c.ctx, o.h.ID, locking.ShareRequest{Owner: c.lockOwner(sess, o), Access: acc, Deny: deny})
	if err == nil {
		o.shared = true
	}
	return lockStatus(err, wire.STATUS_SHARING_VIOLATION)
}

// release drops an open's share reservation and byte-range locks.
func (c *conn) release(sess *session, o *open) {
	m := o.tree.exp.Locks
	if m == nil {
		return
	}
	own := c.lockOwner(sess, o)
	if o.shared {
		m.Unshare(c.ctx, o.h.ID, own)
	}
	if o.locked {
		m.ReleaseOwner(c.ctx, own)
	}
}

// lock is SMB2 LOCK (MS-SMB2 §3.3.5.14) on the export's lock manager, so
// SMB byte-range locks conflict with NLM and NFSv4 locks. A request is
// all or nothing: elements granted before one that fails are released.
// Every lock fails at once on a conflict (STATUS_LOCK_NOT_GRANTED): a
// blocking wait (an element without SMB2_LOCKFLAG_FAIL_IMMEDIATELY) is not
// queued. Zero-length locks are granted without an entry (they conflict
// with nothing in the manager's model).
func (c *conn) lock(r *request) wire.Status {
	var req wire.LockRequest
	if err := req.Decode(r.msg); err != nil {
		return wire.STATUS_INVALID_PARAMETER
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	if o.dir {
		return wire.STATUS_INVALID_PARAMETER
	}
	m := o.tree.exp.Locks
	own := c.lockOwner(r.sess, o)
	unlock := req.Locks[0].Flags == wire.SMB2_LOCKFLAG_UNLOCK
	for _, el := range req.Locks {
		if el.Length > 0 && el.Offset+el.Length-1 < el.Offset {
			return wire.STATUS_INVALID_PARAMETER // past 2^64-1 (STATUS_INVALID_LOCK_RANGE on Windows)
		}
		switch el.Flags &^ wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY {
		case wire.SMB2_LOCKFLAG_SHARED_LOCK, wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK:
			if unlock {
				return wire.STATUS_INVALID_PARAMETER
			}
		case wire.SMB2_LOCKFLAG_UNLOCK:
			if !unlock || el.Flags != wire.SMB2_LOCKFLAG_UNLOCK {
				return wire.STATUS_INVALID_PARAMETER
			}
		default:
			return wire.STATUS_INVALID_PARAMETER
		}
	}
	if unlock {
		for _, el := range req.Locks {
			if el.Length == 0 {
				continue
			}
			rg := locking.Range{Off: el.Offset, Len: el.Length}
			if !holds(m.Locks(o.h.ID), own, rg) {
				return wire.STATUS_RANGE_NOT_LOCKED
			}
			if err := m.Unlock(c.ctx, o.h.ID, own, rg); err != nil {
				return lockStatus(err, wire.STATUS_RANGE_NOT_LOCKED)
			}
		}
	} else {
		for i, el := range req.Locks {
			if el.Length == 0 {
				continue
			}
			rg := locking.Range{Off: el.Offset, Len: el.Length}
			err := m.Lock(c.ctx, o.h.ID, locking.Request{Owner: own, Range: rg,
				Exclusive: el.Flags&wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK != 0})
			if err != nil {
				for _, done := range req.Locks[:i] {
					if done.Length > 0 {
						m.Unlock(c.ctx, o.h.ID, own, locking.Range{Off: done.Offset, Len: done.Length})
					}
				}
				return lockStatus(err, wire.STATUS_LOCK_NOT_GRANTED)
			}
			o.locked = true
		}
	}
	wire.EncodeEmptyResponse(&c.enc) // LOCK response: StructureSize 4
	return wire.STATUS_SUCCESS
}

// holds reports whether own holds a lock covering all of rg.
func holds(locks []locking.Lock, own locking.Owner, rg locking.Range) bool {
	for _, l := range locks {
		if l.Owner == own && l.Range.Off <= rg.Off && (l.Range.Len == 0 || l.Range.Off+l.Range.Len >= rg.Off+rg.Len) {
			return true
		}
	}
	return false
}

// checkLocks fails I/O on a range another owner has locked against it
// (SMB byte-range locks are mandatory, MS-FSA §2.1.4.10).
func (c *conn) checkLocks(sess *session, o *open, off uint64, n int, write bool) wire.Status {
	m := o.tree.exp.Locks
	if n == 0 || m == nil {
		return wire.STATUS_SUCCESS
	}
	l, err := m.Test(c.ctx, o.h.ID, c.lockOwner(sess, o), locking.Range{Off: off, Len: uint64(n)}, write)
	if err == nil && l != nil {
		return wire.STATUS_FILE_LOCK_CONFLICT
	}
	return wire.STATUS_SUCCESS
}
