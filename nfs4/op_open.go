package nfs4

import (
	"errors"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/attr"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
)

// shareModes checks and converts OPEN's share_access and share_deny; the
// delegation "want" bits of 4.1 are ignored (this server grants none).
func shareModes(access, deny uint32, minor uint32) (locking.Mode, locking.Mode, bool) {
	if minor >= 1 {
		access &^= wire.OPEN4_SHARE_ACCESS_WANT_DELEG_MASK |
			wire.OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL |
			wire.OPEN4_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED |
			wire.OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS |
			wire.OPEN4_SHARE_ACCESS_WANT_OPEN_XOR_DELEGATION
	}
	if access == 0 || access > wire.OPEN4_SHARE_ACCESS_BOTH || deny > wire.OPEN4_SHARE_DENY_BOTH {
		return 0, 0, false
	}
	return locking.Mode(access), locking.Mode(deny), true
}

// OPEN (RFC 7530 §16.16): CLAIM_NULL (with UNCHECKED, GUARDED and
// EXCLUSIVE creates), CLAIM_PREVIOUS (reclaim in the grace period) and
// CLAIM_FH (4.1). The delegation claims are answered as a server without
// delegations must: CLAIM_DELEGATE_CUR and CLAIM_DELEG_CUR_FH name a
// stateid that is no delegation (NFS4ERR_BAD_STATEID), CLAIM_DELEGATE_PREV
// and CLAIM_DELEG_PREV_FH are NFS4ERR_NOTSUPP.
func opOpen(c *compound) wire.Nfsstat4 {
	var a wire.OPEN4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	access, deny, ok := shareModes(a.ShareAccess, a.ShareDeny, c.minor)
	if !ok {
		return c.status(wire.NFS4ERR_INVAL)
	}
	if c.minor >= 1 && c.session != nil {
		// The owner's clientid is the session's (RFC 8881 §18.16.3).
		a.Owner.Clientid = wire.Clientid4(c.session.ClientID())
	}
	cl, err := c.table().Client(uint64(a.Owner.Clientid))
	if err != nil {
		return c.status(statusOf(err))
	}
	oo, err := c.table().Owner(cl, a.Owner.Owner, false, true)
	if err != nil {
		return c.status(statusOf(err))
	}
	defer c.table().PutOwner(oo)
	var res wire.OPEN4res
	var opened fileRef
	st, replayed := c.sequenced(oo, uint32(a.Seqid), func() wire.Nfsstat4 {
		res.Status = c.open(&a, cl, oo, access, deny, &res.Resok4, &opened)
		res.MarshalXDR(c.e)
		return res.Status
	})
	switch {
	case st != wire.NFS4_OK:
	case replayed:
		// The retransmission gets the first reply; the current
		// filehandle must still become the file, as it did then.
		st = c.reopenedFile(&a)
	default:
		c.cur = opened
		c.setCurStateid(res.Resok4.Stateid)
	}
	return st
}

// reopenedFile makes the file of a replayed OPEN the current filehandle.
func (c *compound) reopenedFile(a *wire.OPEN4args) wire.Nfsstat4 {
	if a.Claim.Claim != wire.CLAIM_NULL || c.cur.pseudo != nil || !c.cur.set {
		return wire.NFS4_OK
	}
	h, _, err := c.fs().Lookup(c.ctx, c.cred(), c.cur.node, string(a.Claim.File))
	if err != nil {
		return c.fail("OPEN", err)
	}
	c.cur.node = h
	return wire.NFS4_OK
}

// open runs OPEN under the open-owner's lock; it leaves the opened file in
// *opened.
func (c *compound) open(a *wire.OPEN4args, cl *state.Client, oo *state.Owner, access, deny locking.Mode,
	ok *wire.OPEN4resok, opened *fileRef) wire.Nfsstat4 {
	if st := c.needFile(); st != wire.NFS4_OK {
		return st
	}
	reclaim := false
	switch a.Claim.Claim {
	case wire.CLAIM_NULL:
		// The name first, as Linux knfsd checks it when decoding.
		if st := checkComponent(a.Claim.File); st != wire.NFS4_OK {
			return st
		}
	case wire.CLAIM_PREVIOUS:
		reclaim = true
		if a.Claim.DelegateType != wire.OPEN_DELEGATE_NONE {
			// No delegation was ever granted to reclaim.
			return wire.NFS4ERR_RECLAIM_BAD
		}
	case wire.CLAIM_FH:
		if c.minor < 1 {
			return wire.NFS4ERR_INVAL
		}
	case wire.CLAIM_DELEGATE_CUR, wire.CLAIM_DELEG_CUR_FH:
		return wire.NFS4ERR_BAD_STATEID
	case wire.CLAIM_DELEGATE_PREV, wire.CLAIM_DELEG_PREV_FH:
		return wire.NFS4ERR_NOTSUPP
	default:
		return wire.NFS4ERR_INVAL
	}
	if c.cur.pseudo != nil {
		return c.openPseudo(a)
	}
	mgr := c.cur.exp.Locks
	if st := c.checkGrace(cl, reclaim); st != wire.NFS4_OK {
		return st
	}
	create := a.Claim.Claim == wire.CLAIM_NULL && a.Openhow.Opentype == wire.OPEN4_CREATE
	if create || access&locking.ModeWrite != 0 {
		if st := c.writable(); st != wire.NFS4_OK {
			return st
		}
	}
	fs, dir := c.fs(), c.cur.node
	node := dir
	var truncate *store.SetAttr
	created := false
	if a.Claim.Claim == wire.CLAIM_NULL {
		var w store.Wcc
		var st wire.Nfsstat4
		if create {
			node, created, truncate, st = c.openCreate(a, ok, &w)
		} else {
			var err error
			node, _, err = fs.Lookup(c.ctx, c.cred(), dir, string(a.Claim.File))
			if err != nil {
				st = c.lookupFail(err)
			}
		}
		if st != wire.NFS4_OK {
			return st
		}
		if created {
			ok.Cinfo = changeInfo(&w)
		} else {
			ok.Cinfo = c.unchanged(fs, dir)
		}
	}
	if !created {
		if st := c.openable(node, access); st != wire.NFS4_OK {
			return st
		}
	}
	f := state.File{Mgr: mgr, ID: node.ID}
	_, sid, err := c.table().Open(c.ctx, oo, f, access, deny, reclaim)
	if err != nil {
		if errors.Is(err, locking.ErrDenied) {
			return wire.NFS4ERR_SHARE_DENIED
		}
		return c.fail("OPEN", err)
	}
	if truncate != nil {
		if _, err := fs.SetAttr(c.ctx, c.cred(), node, truncate); err != nil {
			st := c.fail("OPEN", err)
			return st
		}
	}
	ok.Stateid = wire.Stateid4(sid)
	ok.Rflags = wire.OPEN4_RESULT_LOCKTYPE_POSIX
	if c.minor >= 1 || reclaim {
		// 4.1 has no confirmation; a reclaim needs none, its owner was
		// confirmed before the restart (Linux nfsd does the same).
		oo.Confirm()
	} else if !oo.Confirmed() {
		ok.Rflags |= wire.OPEN4_RESULT_CONFIRM
	}
	ok.Delegation.DelegationType = wire.OPEN_DELEGATE_NONE
	if c.minor >= 1 && a.ShareAccess&wire.OPEN4_SHARE_ACCESS_WANT_DELEG_MASK != 0 &&
		a.ShareAccess&wire.OPEN4_SHARE_ACCESS_WANT_DELEG_MASK != wire.OPEN4_SHARE_ACCESS_WANT_NO_DELEG {
		// A 4.1 client that asked for a delegation is told why it got
		// none (RFC 8881 §18.16.3).
		ok.Delegation.DelegationType = wire.OPEN_DELEGATE_NONE_EXT
		ok.Delegation.Whynone.Why = wire.WND4_NOT_SUPP_FTYPE
	}
	*opened = c.cur
	opened.node = node
	return wire.NFS4_OK
}

// openPseudo answers an OPEN in a pseudo-filesystem directory, whose
// entries are all directories.
func (c *compound) openPseudo(a *wire.OPEN4args) wire.Nfsstat4 {
	if a.Claim.Claim != wire.CLAIM_NULL {
		return wire.NFS4ERR_ISDIR
	}
	if a.Openhow.Opentype == wire.OPEN4_CREATE {
		return wire.NFS4ERR_ROFS
	}
	ent := c.cur.pseudo.find(string(a.Claim.File))
	if ent == nil {
		return wire.NFS4ERR_NOENT
	}
	if st := c.pseudoAccess(ent); st != wire.NFS4_OK {
		return st
	}
	return wire.NFS4ERR_ISDIR
}

// openCreate creates (or, for UNCHECKED, finds) the file of an OPEN with
// OPEN4_CREATE. created reports a new file, which its creator may open
// whatever its mode; truncate is a size change still to apply to an
// existing file once the open is granted; w gets the directory's
// attributes around the create when created is set.
func (c *compound) openCreate(a *wire.OPEN4args, ok *wire.OPEN4resok, w *store.Wcc) (h store.Handle, created bool, truncate *store.SetAttr, st wire.Nfsstat4) {
	fs, dir, name := c.fs(), c.cur.node, string(a.Claim.File)
	how := a.Openhow.How
	var sa store.SetAttr
	var verf store.Verifier
	var mode store.CreateMode
	switch how.Mode {
	case wire.UNCHECKED4, wire.GUARDED4:
		var set wire.Bitmap4
		sa, set, st = attr.Decode(&how.Createattrs, &c.s.attrs[c.minor])
		if st != wire.NFS4_OK {
			return h, false, nil, st
		}
		ok.Attrset = set
		mode = store.CreateGuarded
	case wire.EXCLUSIVE4:
		mode, verf = store.CreateExclusive, store.Verifier(how.Createverf)
	case wire.EXCLUSIVE4_1:
		if c.minor < 1 {
			return h, false, nil, wire.NFS4ERR_INVAL
		}
		var set wire.Bitmap4
		sa, set, st = attr.Decode(&how.ChCreateboth.Attrs, &c.s.attrs[c.minor])
		if st != wire.NFS4_OK {
			return h, false, nil, st
		}
		if sa.Mask&(store.SetAtime|store.SetMtime) != 0 {
			// The times hold the verifier on some servers; the RFC
			// forbids setting them here (§18.16.3).
			return h, false, nil, wire.NFS4ERR_INVAL
		}
		ok.Attrset = set
		mode, verf = store.CreateExclusive, store.Verifier(how.ChCreateboth.Verf)
	default:
		return h, false, nil, wire.NFS4ERR_INVAL
	}
	if how.Mode == wire.UNCHECKED4 {
		// An existing file is opened: "the attributes specified by
		// createattrs are not used, except that when a size of zero is
		// specified, the existing file is truncated" (RFC 7530
		// §16.16); Linux nfsd ignores any other size too.
		if h, _, err := fs.Lookup(c.ctx, c.cred(), dir, name); err == nil {
			ok.Attrset = nil
			if sa.Mask&store.SetSize != 0 && sa.Size == 0 {
				truncate = &store.SetAttr{Mask: store.SetSize}
				ok.Attrset = sizeBitmap()
			}
			return h, false, truncate, wire.NFS4_OK
		} else if store.CodeOf(err) != store.CodeNotExist {
			return h, false, nil, c.lookupFail(err)
		}
	}
	h, _, cw, err := fs.Create(c.ctx, c.cred(), dir, name, mode, &sa, verf)
	if err == nil && w != nil {
		*w = cw
	}
	if err != nil {
		if store.CodeOf(err) == store.CodeExist && how.Mode == wire.UNCHECKED4 {
			// Created by someone else between the lookup and here.
			if h, _, err = fs.Lookup(c.ctx, c.cred(), dir, name); err == nil {
				ok.Attrset = nil
				return h, false, nil, wire.NFS4_OK
			}
		}
		return h, false, nil, c.fail("OPEN", err)
	}
	return h, true, nil, wire.NFS4_OK
}

// sizeBitmap is the attrsset of an OPEN that truncated an existing file.
func sizeBitmap() wire.Bitmap4 {
	return wire.Bitmap4(nil).Set(wire.FATTR4_SIZE)
}

// openable checks that an existing node can be opened with access by the
// caller: a regular file that the caller may read or write as asked. A
// directory is NFS4ERR_ISDIR, a symbolic link NFS4ERR_SYMLINK; any other
// type is NFS4ERR_WRONG_TYPE in 4.1 (RFC 8881 §18.16.3) and, in 4.0,
// NFS4ERR_SYMLINK too: RFC 7530 §16.16.5 says NFS4ERR_INVAL "would be
// inappropriate", and Linux knfsd (nfsd_check_obj_isreg) does the same.
func (c *compound) openable(node store.Handle, access locking.Mode) wire.Nfsstat4 {
	var want uint32
	if access&locking.ModeRead != 0 {
		want |= store.AccessRead
	}
	if access&locking.ModeWrite != 0 {
		want |= store.AccessWrite
	}
	got, at, err := c.fs().Access(c.ctx, c.cred(), node, want)
	if err != nil {
		return c.fail("OPEN", err)
	}
	switch at.Type {
	case store.TypeRegular:
	case store.TypeDir:
		return wire.NFS4ERR_ISDIR
	case store.TypeSymlink:
		return wire.NFS4ERR_SYMLINK
	default:
		if c.minor >= 1 {
			return wire.NFS4ERR_WRONG_TYPE
		}
		return wire.NFS4ERR_SYMLINK
	}
	if got&want != want {
		return wire.NFS4ERR_ACCESS
	}
	return wire.NFS4_OK
}

// stateOf finds the state of kind k named by stateid sid on the current
// file.
func (c *compound) stateOf(sid *wire.Stateid4, k state.Kind) (*state.State, wire.Nfsstat4) {
	if st := c.needStoreFile(wire.NFS4ERR_BAD_STATEID); st != wire.NFS4_OK {
		return nil, st
	}
	s, st := c.findState(sid)
	if st != wire.NFS4_OK {
		return nil, st
	}
	if s.Kind() != k {
		return nil, wire.NFS4ERR_BAD_STATEID
	}
	if f := s.File(); f.ID != c.cur.node.ID || f.Mgr != c.cur.exp.Locks {
		return nil, wire.NFS4ERR_BAD_STATEID
	}
	return s, wire.NFS4_OK
}

// ownerOf returns the owner of stateid sid of kind k without checking its
// generation, for the seqid check that must come before the stateid's
// (RFC 7530 §9.1.7): a retransmission carries the stateid as it was, and
// may name the state its first transmission dropped (CLOSE). A special
// stateid is NFS4ERR_BAD_STATEID (§9.1.3).
func (c *compound) ownerOf(sid *wire.Stateid4, k state.Kind) (*state.Owner, wire.Nfsstat4) {
	if c.minor >= 1 && sid.IsCurrent() {
		if !c.curStateidSet {
			return nil, wire.NFS4ERR_BAD_STATEID
		}
		sid = &c.curStateid
	}
	if sid.IsReserved() {
		return nil, wire.NFS4ERR_BAD_STATEID
	}
	o, err := c.table().OwnerOf(state.Stateid(*sid), k)
	if err != nil {
		return nil, c.stateidStatus(err)
	}
	return o, wire.NFS4_OK
}

// stateOp runs OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE or LOCKU: the
// seqid-mutating operations on an existing stateid sid of the current
// file. The owner is found from sid for the seqid check (a
// retransmission carries the stateid as it was then); fn then checks the
// state of kind k, runs, and returns the new stateid, which becomes the
// current stateid (4.1); a nil one clears it.
func (c *compound) stateOp(sid *wire.Stateid4, seqid wire.Seqid4, k state.Kind, notFile wire.Nfsstat4,
	fn func(s *state.State) (wire.Nfsstat4, *wire.Stateid4)) wire.Nfsstat4 {
	if st := c.needStoreFile(notFile); st != wire.NFS4_OK {
		return c.status(st)
	}
	o, st := c.ownerOf(sid, k)
	if st != wire.NFS4_OK {
		return c.status(st)
	}
	var cur *wire.Stateid4
	st, replayed := c.sequenced(o, uint32(seqid), func() wire.Nfsstat4 {
		s, st := c.stateOf(sid, k)
		if st != wire.NFS4_OK {
			return c.status(st)
		}
		st, cur = fn(s)
		return st
	})
	switch {
	case st != wire.NFS4_OK || replayed:
	case cur == nil:
		c.curStateidSet = false
	default:
		c.setCurStateid(*cur)
	}
	return st
}

// OPEN_CONFIRM (RFC 7530 §16.18, NFSv4.0 only).
func opOpenConfirm(c *compound) wire.Nfsstat4 {
	var a wire.OPEN_CONFIRM4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	return c.stateOp(&a.OpenStateid, a.Seqid, state.KindOpen, wire.NFS4ERR_BAD_STATEID, func(s *state.State) (wire.Nfsstat4, *wire.Stateid4) {
		if s.Owner().Confirmed() {
			return c.status(wire.NFS4ERR_BAD_STATEID), nil
		}
		res := wire.OPEN_CONFIRM4res{Status: wire.NFS4_OK,
			Resok4: wire.OPEN_CONFIRM4resok{OpenStateid: wire.Stateid4(c.table().Confirm(s))}}
		res.MarshalXDR(c.e)
		return wire.NFS4_OK, &res.Resok4.OpenStateid
	})
}

// OPEN_DOWNGRADE (RFC 7530 §16.19).
func opOpenDowngrade(c *compound) wire.Nfsstat4 {
	var a wire.OPEN_DOWNGRADE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	return c.stateOp(&a.OpenStateid, a.Seqid, state.KindOpen, wire.NFS4ERR_BAD_STATEID, func(s *state.State) (wire.Nfsstat4, *wire.Stateid4) {
		access, deny, ok := shareModes(a.ShareAccess, a.ShareDeny, c.minor)
		if !ok {
			return c.status(wire.NFS4ERR_INVAL), nil
		}
		sid, err := c.table().Downgrade(c.ctx, s, access, deny)
		if err != nil {
			return c.status(c.fail("OPEN_DOWNGRADE", err)), nil
		}
		res := wire.OPEN_DOWNGRADE4res{Status: wire.NFS4_OK, Resok4: wire.OPEN_DOWNGRADE4resok{OpenStateid: wire.Stateid4(sid)}}
		res.MarshalXDR(c.e)
		return wire.NFS4_OK, &res.Resok4.OpenStateid
	})
}

// CLOSE (RFC 7530 §16.2). Locks still held through the open are released
// with it (the server "MAY free all outstanding locks", §16.2.4), so none
// remain after it.
func opClose(c *compound) wire.Nfsstat4 {
	var a wire.CLOSE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	return c.stateOp(&a.OpenStateid, a.Seqid, state.KindOpen, wire.NFS4ERR_BAD_STATEID, func(s *state.State) (wire.Nfsstat4, *wire.Stateid4) {
		sid, err := c.table().CloseOpen(c.ctx, s)
		if err != nil {
			return c.status(c.fail("CLOSE", err)), nil
		}
		if c.minor >= 1 {
			// RFC 8881 §18.2.4: the stateid returned is meaningless;
			// the special invalid stateid says so.
			sid = state.Stateid{Seqid: wire.NFS4_UINT32_MAX}
		}
		res := wire.CLOSE4res{Status: wire.NFS4_OK, OpenStateid: wire.Stateid4(sid)}
		res.MarshalXDR(c.e)
		return wire.NFS4_OK, nil
	})
}
