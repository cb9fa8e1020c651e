package nfs4

import (
	"errors"
	"strconv"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/state"
)

// lockRange converts an NFSv4 lock range (RFC 7530 §16.10.4): a length
// of all ones is "to the end of the file"; a zero length, or one that
// passes 2^64-1, is NFS4ERR_INVAL.
func lockRange(off, length uint64) (locking.Range, wire.Nfsstat4) {
	switch {
	case length == 0:
		return locking.Range{}, wire.NFS4ERR_INVAL
	case length == ^uint64(0):
		return locking.Range{Off: off}, wire.NFS4_OK
	case length > ^uint64(0)-off:
		return locking.Range{}, wire.NFS4ERR_INVAL
	}
	return locking.Range{Off: off, Len: length}, wire.NFS4_OK
}

// lockType checks a nfs_lock_type4; it reports whether it is a write lock.
func lockType(t wire.NfsLockType4) (exclusive bool, st wire.Nfsstat4) {
	switch t {
	case wire.READ_LT, wire.READW_LT:
		return false, wire.NFS4_OK
	case wire.WRITE_LT, wire.WRITEW_LT:
		return true, wire.NFS4_OK
	}
	return false, wire.NFS4ERR_INVAL
}

// denied describes the lock in the way (LOCK4denied): an NFSv4 holder by
// its clientid and lock-owner, a holder of another protocol (NLM, SMB) by
// a clientid of 0 and an owner naming it.
func (c *compound) denied(l locking.Lock) wire.LOCK4denied {
	d := wire.LOCK4denied{Offset: wire.Offset4(l.Range.Off), Length: wire.Length4(l.Range.Len), Locktype: wire.READ_LT}
	if l.Range.Len == 0 {
		d.Length = wire.Length4(^uint64(0))
	}
	if l.Exclusive {
		d.Locktype = wire.WRITE_LT
	}
	if name, _, ok := state.OwnerName(l.Owner.Key); ok && l.Owner.Proto == locking.ProtoNFS4 {
		d.Owner = wire.StateOwner4{Clientid: wire.Clientid4(c.table().Holder(l.Owner)), Owner: name}
	} else {
		d.Owner.Owner = []byte(l.Owner.Proto.String() + ":" + l.Owner.Client + ":" + strconv.Quote(l.Owner.Key))
		if len(d.Owner.Owner) > wire.NFS4_OPAQUE_LIMIT {
			d.Owner.Owner = d.Owner.Owner[:wire.NFS4_OPAQUE_LIMIT]
		}
	}
	return d
}

// lockFail maps an error of a lock request; a conflict fills res.
func (c *compound) lockFail(op string, err error, denied *wire.LOCK4denied) wire.Nfsstat4 {
	var ce *locking.ConflictError
	if errors.As(err, &ce) {
		*denied = c.denied(ce.Holder)
		return wire.NFS4ERR_DENIED
	}
	return c.fail(op, err)
}

// checkGrace applies the grace period of the current file's export to an
// OPEN or LOCK of cl: a reclaim needs the grace period and a client of the
// last boot that has not ended its reclaim (else NFS4ERR_NO_GRACE); any
// other request is NFS4ERR_GRACE in it, and ends a 4.0 client's reclaim.
// A 4.1 client ends its reclaim with RECLAIM_COMPLETE, and until then
// every request that is not a reclaim is NFS4ERR_GRACE, in the grace
// period or after it (RFC 8881 §18.51.3: "If non-reclaim locking
// operations are done before the RECLAIM_COMPLETE, an NFS4ERR_GRACE
// error will be returned"; Linux knfsd nfsd4_open does the same).
func (c *compound) checkGrace(cl *state.Client, reclaim bool) wire.Nfsstat4 {
	g := c.cur.exp.Locks.InGrace(c.ctx)
	if !g {
		c.s.endGrace(c.ctx)
	}
	switch {
	case reclaim && (!g || !c.table().MayReclaim(cl)):
		return wire.NFS4ERR_NO_GRACE
	case !reclaim:
		if c.minor == 0 {
			c.s.reclaimDone(c.ctx, cl)
		} else if !c.table().Reclaimed(cl) {
			return wire.NFS4ERR_GRACE
		}
		if g {
			return wire.NFS4ERR_GRACE
		}
	}
	return wire.NFS4_OK
}

// LOCK (RFC 7530 §16.10). Requests never wait on the server: a conflict
// is NFS4ERR_DENIED with the holder, and the client polls (READW_LT and
// WRITEW_LT are hints, RFC 7530 §9.4).
func opLock(c *compound) wire.Nfsstat4 {
	var a wire.LOCK4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needStoreFile(wire.NFS4ERR_INVAL); st != wire.NFS4_OK {
		return c.status(st)
	}
	exclusive, st := lockType(a.Locktype)
	if st != wire.NFS4_OK {
		return c.status(st)
	}
	r, st := lockRange(uint64(a.Offset), uint64(a.Length))
	if st != wire.NFS4_OK {
		return c.status(st)
	}
	var res wire.LOCK4res
	run := func(lo *state.Owner, open *state.State) wire.Nfsstat4 {
		res.Status = c.lock(&a, lo, open, r, exclusive, &res)
		res.MarshalXDR(c.e)
		return res.Status
	}
	var replayed bool
	if l := &a.Locker; l.NewLockOwner {
		var oo *state.Owner
		if oo, st = c.ownerOf(&l.OpenOwner.OpenStateid, state.KindOpen); st != wire.NFS4_OK {
			return c.status(st)
		}
		st, replayed = c.sequenced(oo, uint32(l.OpenOwner.OpenSeqid), func() wire.Nfsstat4 {
			open, st := c.stateOf(&l.OpenOwner.OpenStateid, state.KindOpen)
			if st != wire.NFS4_OK {
				return c.status(st)
			}
			cl := oo.Client()
			if c.minor == 0 && uint64(l.OpenOwner.LockOwner.Clientid) != cl.ID {
				return c.status(wire.NFS4ERR_BAD_STATEID)
			}
			lo, err := c.table().Owner(cl, l.OpenOwner.LockOwner.Owner, true, true)
			if err != nil {
				return c.status(statusOf(err))
			}
			defer c.table().PutOwner(lo)
			lo.Lock()
			defer lo.Unlock()
			c.table().StartLock(lo, uint32(l.OpenOwner.LockSeqid))
			return run(lo, open)
		})
	} else {
		var lo *state.Owner
		if lo, st = c.ownerOf(&l.LockOwner.LockStateid, state.KindLock); st != wire.NFS4_OK {
			return c.status(st)
		}
		st, replayed = c.sequenced(lo, uint32(l.LockOwner.LockSeqid), func() wire.Nfsstat4 {
			ls, st := c.stateOf(&l.LockOwner.LockStateid, state.KindLock)
			if st != wire.NFS4_OK {
				return c.status(st)
			}
			return run(lo, ls.Open())
		})
	}
	if st == wire.NFS4_OK && !replayed {
		c.setCurStateid(res.Resok4.LockStateid)
	}
	return st
}

func (c *compound) lock(a *wire.LOCK4args, lo *state.Owner, open *state.State, r locking.Range, exclusive bool, res *wire.LOCK4res) wire.Nfsstat4 {
	if st := c.checkGrace(lo.Client(), a.Reclaim); st != wire.NFS4_OK {
		return st
	}
	if access, _ := open.Modes(c.table()); exclusive && access&locking.ModeWrite == 0 {
		return wire.NFS4ERR_OPENMODE
	} else if !exclusive && access&locking.ModeRead == 0 && access&locking.ModeWrite == 0 {
		return wire.NFS4ERR_OPENMODE
	}
	_, sid, err := c.table().Lock(c.ctx, lo, open, r, exclusive, a.Reclaim)
	if err != nil {
		return c.lockFail("LOCK", err, &res.Denied)
	}
	res.Resok4.LockStateid = wire.Stateid4(sid)
	return wire.NFS4_OK
}

// LOCKT (RFC 7530 §16.11, RFC 8881 §18.11): of a regular file only
// (needRegular).
func opLockt(c *compound) wire.Nfsstat4 {
	var a wire.LOCKT4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	var res wire.LOCKT4res
	res.Status = c.lockt(&a, &res)
	res.MarshalXDR(c.e)
	return res.Status
}

func (c *compound) lockt(a *wire.LOCKT4args, res *wire.LOCKT4res) wire.Nfsstat4 {
	if st := c.needStoreFile(wire.NFS4ERR_INVAL); st != wire.NFS4_OK {
		return st
	}
	exclusive, st := lockType(a.Locktype)
	if st != wire.NFS4_OK {
		return st
	}
	r, st := lockRange(uint64(a.Offset), uint64(a.Length))
	if st != wire.NFS4_OK {
		return st
	}
	if c.minor >= 1 && c.session != nil {
		a.Owner.Clientid = wire.Clientid4(c.session.ClientID())
	}
	cl, err := c.table().Client(uint64(a.Owner.Clientid))
	if err != nil {
		return statusOf(err)
	}
	if len(a.Owner.Owner) > state.MaxOwnerName {
		return wire.NFS4ERR_INVAL
	}
	// The type after the client, as Linux knfsd checks them.
	if st := c.needRegular("LOCKT"); st != wire.NFS4_OK {
		return st
	}
	l, err := c.cur.exp.Locks.Test(c.ctx, c.cur.node.ID, state.LockingOwner(cl, a.Owner.Owner), r, exclusive)
	if err != nil {
		return c.fail("LOCKT", err)
	}
	if l != nil {
		res.Denied = c.denied(*l)
		return wire.NFS4ERR_DENIED
	}
	return wire.NFS4_OK
}

// LOCKU (RFC 7530 §16.12).
func opLocku(c *compound) wire.Nfsstat4 {
	var a wire.LOCKU4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if _, st := lockType(a.Locktype); st != wire.NFS4_OK {
		return c.status(st)
	}
	r, st := lockRange(uint64(a.Offset), uint64(a.Length))
	if st != wire.NFS4_OK {
		return c.status(st)
	}
	return c.stateOp(&a.LockStateid, a.Seqid, state.KindLock, wire.NFS4ERR_INVAL, func(s *state.State) (wire.Nfsstat4, *wire.Stateid4) {
		sid, err := c.table().Unlock(c.ctx, s, r)
		if err != nil {
			return c.status(c.fail("LOCKU", err)), nil
		}
		res := wire.LOCKU4res{Status: wire.NFS4_OK, LockStateid: wire.Stateid4(sid)}
		res.MarshalXDR(c.e)
		return wire.NFS4_OK, &res.LockStateid
	})
}

// RELEASE_LOCKOWNER (RFC 7530 §16.37, NFSv4.0 only).
func opReleaseLockowner(c *compound) wire.Nfsstat4 {
	var a wire.RELEASE_LOCKOWNER4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	cl, err := c.table().Client(uint64(a.LockOwner.Clientid))
	if err != nil {
		return c.status(statusOf(err))
	}
	if err := c.table().ReleaseLockOwner(c.ctx, cl, a.LockOwner.Owner); err != nil {
		return c.status(c.fail("RELEASE_LOCKOWNER", err))
	}
	return c.status(wire.NFS4_OK)
}
