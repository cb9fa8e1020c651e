package nfs4

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/state"
)

// stateStatus maps errors of packages state and locking; ok is false for
// other errors. A denied share reservation is mapped by OPEN itself
// (NFS4ERR_SHARE_DENIED): here ErrDenied is a lock conflict.
func stateStatus(err error) (wire.Nfsstat4, bool) {
	for _, m := range stateErrors {
		if errors.Is(err, m.err) {
			return m.st, true
		}
	}
	return 0, false
}

var stateErrors = []struct {
	err error
	st  wire.Nfsstat4
}{
	{state.ErrStaleClientID, wire.NFS4ERR_STALE_CLIENTID},
	{state.ErrExpired, wire.NFS4ERR_EXPIRED},
	{state.ErrClientInUse, wire.NFS4ERR_CLID_INUSE},
	{state.ErrBadStateid, wire.NFS4ERR_BAD_STATEID},
	{state.ErrOldStateid, wire.NFS4ERR_OLD_STATEID},
	{state.ErrStaleStateid, wire.NFS4ERR_STALE_STATEID},
	{state.ErrBadSeqid, wire.NFS4ERR_BAD_SEQID},
	{state.ErrLocksHeld, wire.NFS4ERR_LOCKS_HELD},
	{state.ErrResource, wire.NFS4ERR_RESOURCE},
	{state.ErrInval, wire.NFS4ERR_INVAL},
	{state.ErrNoGrace, wire.NFS4ERR_NO_GRACE},
	{state.ErrNoEnt, wire.NFS4ERR_NOENT},
	{state.ErrNotSame, wire.NFS4ERR_NOT_SAME},
	{state.ErrPerm, wire.NFS4ERR_PERM},
	{state.ErrSeqMisordered, wire.NFS4ERR_SEQ_MISORDERED},
	{state.ErrBadSlot, wire.NFS4ERR_BADSLOT},
	{state.ErrSlotBusy, wire.NFS4ERR_DELAY},
	{state.ErrRetryUncachedRep, wire.NFS4ERR_RETRY_UNCACHED_REP},
	{state.ErrNoSpace, wire.NFS4ERR_NOSPC},
	{state.ErrClientBusy, wire.NFS4ERR_CLIENTID_BUSY},
	{state.ErrCompleteAlready, wire.NFS4ERR_COMPLETE_ALREADY},
	{locking.ErrDenied, wire.NFS4ERR_DENIED},
	{locking.ErrBlocked, wire.NFS4ERR_DENIED},
	{locking.ErrDeadlock, wire.NFS4ERR_DEADLOCK},
	{locking.ErrGrace, wire.NFS4ERR_GRACE},
	{locking.ErrNoGrace, wire.NFS4ERR_NO_GRACE},
	{locking.ErrBreaking, wire.NFS4ERR_DELAY},
	{locking.ErrNoLocks, wire.NFS4ERR_RESOURCE},
	{locking.ErrCanceled, wire.NFS4ERR_DELAY},
	{locking.ErrClosed, wire.NFS4ERR_DELAY},
	{locking.ErrNoGrant, wire.NFS4ERR_BAD_STATEID},
}

// seqidBumps reports whether an operation that ended with st advances
// its owner's seqid: all do except those RFC 7530 §9.1.7 lists, which
// say the request could not be tied to the owner's sequence.
func seqidBumps(st wire.Nfsstat4) bool {
	switch st {
	case wire.NFS4ERR_STALE_CLIENTID, wire.NFS4ERR_STALE_STATEID, wire.NFS4ERR_BAD_STATEID,
		wire.NFS4ERR_BAD_SEQID, wire.NFS4ERR_BADXDR, wire.NFS4ERR_RESOURCE,
		wire.NFS4ERR_NOFILEHANDLE, wire.NFS4ERR_MOVED:
		return false
	}
	return true
}

// sequenced runs fn, a seqid-mutating operation of owner o (OPEN, CLOSE,
// OPEN_CONFIRM, OPEN_DOWNGRADE, LOCK, LOCKU), under the owner's lock: a
// retransmission of the owner's last operation gets its reply again, a
// wrong seqid NFS4ERR_BAD_SEQID. fn encodes its whole result. In NFSv4.1
// the session gives exactly-once semantics and seqids are ignored (RFC
// 8881 §8.13).
// replayed reports that the reply is the cached one.
func (c *compound) sequenced(o *state.Owner, seqid uint32, fn func() wire.Nfsstat4) (st wire.Nfsstat4, replayed bool) {
	o.Lock()
	defer o.Unlock()
	if c.minor >= 1 {
		return fn(), false
	}
	replay, err := o.Check(seqid)
	if err != nil {
		// An open-owner not yet confirmed: an OPEN out of sequence is
		// taken as valid and the earlier OPEN as a replay, which is
		// given up; an OPEN_CONFIRM out of sequence gives up the OPEN
		// it was to confirm (RFC 7530 §16.18).
		op := c.curOp()
		if op != wire.OP_OPEN && op != wire.OP_OPEN_CONFIRM ||
			!c.table().CancelUnconfirmed(c.ctx, o) || op != wire.OP_OPEN {
			return c.status(wire.NFS4ERR_BAD_SEQID), false
		}
	}
	// The cached reply is the operation number, then its result; a
	// different operation with the last seqid is no retransmission.
	op := c.e.Bytes()[c.resStart-4 : c.resStart]
	if replay != nil {
		if len(replay) < 8 || !bytes.Equal(replay[:4], op) {
			return c.status(wire.NFS4ERR_BAD_SEQID), false
		}
		c.e.FixedOpaque(replay[4:])
		return wire.Nfsstat4(binary.BigEndian.Uint32(replay[4:])), true
	}
	st = fn()
	o.Done(seqid, seqidBumps(st), c.e.Bytes()[c.resStart-4:])
	return st, false
}

// curOp returns the operation that is running.
func (c *compound) curOp() wire.NfsOpnum4 {
	return wire.NfsOpnum4(binary.BigEndian.Uint32(c.e.Bytes()[c.resStart-4:]))
}

// table returns the server's state table.
func (c *compound) table() *state.Table { return c.s.State }

// findState returns the state of stateid sid, resolving the current
// stateid of NFSv4.1.
func (c *compound) findState(sid *wire.Stateid4) (*state.State, wire.Nfsstat4) {
	if c.minor >= 1 && sid.IsCurrent() {
		if !c.curStateidSet {
			return nil, wire.NFS4ERR_BAD_STATEID
		}
		sid = &c.curStateid
	}
	if sid.IsReserved() {
		return nil, wire.NFS4ERR_BAD_STATEID
	}
	s, err := c.table().Find(state.Stateid(*sid), c.minor >= 1)
	if err != nil {
		return nil, c.stateidStatus(err)
	}
	if c.minor == 0 && s.Kind() == state.KindOpen && !s.Owner().Confirmed() && c.curOp() != wire.OP_OPEN_CONFIRM {
		// An open not yet confirmed names no state the client may use
		// but in OPEN_CONFIRM (RFC 7530 §16.18: "even if the seqid is
		// correct, the server returns NFS4ERR_BAD_STATEID").
		return nil, wire.NFS4ERR_BAD_STATEID
	}
	return s, wire.NFS4_OK
}

// stateidStatus maps an error of state.Table.Find for the compound's
// minor version (minorStatus: NFS4ERR_STALE_STATEID in 4.0, RFC 7530
// §9.1.3, NFS4ERR_BAD_STATEID in 4.1); TEST_STATEID reports it per
// stateid without status.
func (c *compound) stateidStatus(err error) wire.Nfsstat4 {
	st, _ := stateStatus(err)
	return c.minorStatus(st)
}

// setCurStateid makes sid the current stateid (NFSv4.1, RFC 8881
// §16.2.3.1.2).
func (c *compound) setCurStateid(sid wire.Stateid4) {
	c.curStateid, c.curStateidSet = sid, true
}

// fileOf returns the lock-manager file of the current filehandle.
func (c *compound) fileOf() state.File {
	return state.File{Mgr: c.cur.exp.Locks, ID: c.cur.node.ID}
}

// checkStateid checks the stateid of a READ, WRITE or SETATTR (of the
// size) of the current file (RFC 7530 §9.1.4.4): the anonymous stateid;
// the all-ones stateid, with which a READ bypasses the share checks (as
// Linux nfsd lets it) and a WRITE is taken as anonymous; or an open or
// lock stateid of this file whose open allows the access (a write needs
// write access, NFS4ERR_OPENMODE; a read is allowed by any open, as Linux
// nfsd does). I/O that another open's share reservation denies is
// NFS4ERR_LOCKED, whatever the stateid. Locks are advisory: I/O is not
// checked against them.
func (c *compound) checkStateid(sid *wire.Stateid4, write bool) wire.Nfsstat4 {
	want := locking.ModeRead
	if write {
		want = locking.ModeWrite
	}
	mgr := c.cur.exp.Locks
	if sid.IsAnonymous() || sid.IsReadBypass() {
		if !write && sid.IsReadBypass() {
			return wire.NFS4_OK
		}
		// No open covers this I/O, and a reservation that would deny it
		// may still be reclaimed: NFS4ERR_GRACE in the grace period
		// (RFC 7530 §9.6.2; knfsd check_special_stateids).
		if mgr.InGrace(c.ctx) {
			return wire.NFS4ERR_GRACE
		}
		if mgr.ShareDenied(c.cur.node.ID, locking.Owner{}, want) {
			return wire.NFS4ERR_LOCKED
		}
		return wire.NFS4_OK
	}
	s, st := c.findState(sid)
	if st != wire.NFS4_OK {
		return st
	}
	if f := s.File(); f.ID != c.cur.node.ID || f.Mgr != mgr {
		return wire.NFS4ERR_BAD_STATEID
	}
	access, _ := s.Modes(c.table())
	if write && access&locking.ModeWrite == 0 {
		return wire.NFS4ERR_OPENMODE
	}
	// An open with the access shuts out reservations that deny it; a
	// read through a write-only open must still be checked.
	if access&want == 0 && mgr.ShareDenied(c.cur.node.ID, s.ShareOwner(), want) {
		return wire.NFS4ERR_LOCKED
	}
	return wire.NFS4_OK
}

// DELEGRETURN (RFC 7530 §16.7). This server grants no delegations, so no
// stateid is a delegation's: a stateid of this boot is NFS4ERR_BAD_STATEID,
// one of an earlier boot NFS4ERR_STALE_STATEID.
func opDelegreturn(c *compound) wire.Nfsstat4 {
	var a wire.DELEGRETURN4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needStoreFile(wire.NFS4ERR_BAD_STATEID); st != wire.NFS4_OK {
		return c.status(st)
	}
	if _, st := c.findState(&a.DelegStateid); st != wire.NFS4_OK {
		return c.status(st)
	}
	return c.status(wire.NFS4ERR_BAD_STATEID)
}

// DELEGPURGE (RFC 7530 §16.6) is for servers that support
// CLAIM_DELEGATE_PREV; this one does not: NFS4ERR_NOTSUPP, as the RFC
// says.
func opDelegpurge(c *compound) wire.Nfsstat4 {
	var a wire.DELEGPURGE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	return c.status(wire.NFS4ERR_NOTSUPP)
}
