package nfs4

import (
	"github.com/dittofs/dittofs/nfs4/internal/attr"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// pseudoFsid is the fsid of the pseudo-filesystem; exports have
// {export ID, 0}, so crossing into one changes the fsid (RFC 7530 §7.8).
var pseudoFsid = wire.Fsid4{Major: 0, Minor: 0}

// object fills o with what GETATTR and READDIR report of f, whose store
// attributes are a (for pseudo directories, a is ignored). fh is the
// buffer of the filehandle attribute.
func (c *compound) object(o *attr.Object, f *fileRef, a *store.Attr, fh *[fhSize]byte) {
	o.FH = c.s.fhOf(fh, f)
	if d := f.pseudo; d != nil {
		*o = attr.Object{Attr: c.s.pseudo.attr(d), FH: o.FH, Fsid: pseudoFsid, ReadOnly: true, Pseudo: true,
			Info: store.FsInfo{MaxRead: MaxIO, MaxWrite: MaxIO, MaxName: maxName}}
		return
	}
	o.Attr = *a
	o.Fsid = wire.Fsid4{Major: uint64(f.exp.ID)}
	o.MountedOnFileid = 0
	if f.node == f.exp.Root() && c.s.pseudo.up[f.exp] != nil {
		o.MountedOnFileid = pseudoFileID(f.exp.Name)
	}
	o.Info = f.exp.FS.FsInfo()
	o.Info.MaxRead = min(o.Info.MaxRead, MaxIO)
	o.Info.MaxWrite = min(o.Info.MaxWrite, MaxIO)
	o.Stat = c.s.statFunc(f.exp)
	o.ReadOnly = f.acc.ReadOnly
	o.Pseudo = false
}

// curAttr returns the store attributes of the current file (a pseudo
// directory's made-up ones).
func (c *compound) curAttr() (store.Attr, error) {
	if d := c.cur.pseudo; d != nil {
		return c.s.pseudo.attr(d), nil
	}
	return c.fs().GetAttr(c.ctx, nil, c.cur.node)
}

// GETATTR (RFC 7530 §16.7). Asking for a write-only attribute is
// NFS4ERR_INVAL (attr.WriteOnly).
func opGetattr(c *compound) wire.Nfsstat4 {
	var a wire.GETATTR4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if attr.WriteOnly(a.AttrRequest, &c.s.attrs[c.minor]) {
		return c.status(wire.NFS4ERR_INVAL)
	}
	at, err := c.curAttr()
	if err != nil {
		return c.status(c.fail("GETATTR", err))
	}
	c.object(&c.obj, &c.cur, &at, &c.fhBuf)
	c.e.Uint32(uint32(wire.NFS4_OK))
	attr.Encode(c.e, a.AttrRequest, &c.obj, &c.s.attrs[c.minor])
	return wire.NFS4_OK
}

// VERIFY (RFC 7530 §16.35) and NVERIFY (§16.19).
func opVerify(c *compound) wire.Nfsstat4  { return c.verify(true) }
func opNverify(c *compound) wire.Nfsstat4 { return c.verify(false) }

func (c *compound) verify(want bool) wire.Nfsstat4 {
	var a wire.VERIFY4args // NVERIFY4args has the same layout
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	at, err := c.curAttr()
	if err != nil {
		return c.status(c.fail("VERIFY", err))
	}
	c.object(&c.obj, &c.cur, &at, &c.fhBuf)
	same, st := attr.Compare(&a.ObjAttributes, &c.obj, &c.s.attrs[c.minor])
	switch {
	case st != wire.NFS4_OK:
	case same == want:
		st = wire.NFS4_OK
	case want:
		st = wire.NFS4ERR_NOT_SAME
	default:
		st = wire.NFS4ERR_SAME
	}
	return c.status(st)
}

// SETATTR (RFC 7530 §16.32). A size change is checked against the
// stateid like a WRITE. attrsset is in the result whatever the status.
func opSetattr(c *compound) wire.Nfsstat4 {
	var a wire.SETATTR4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		c.e.Uint32(0) // empty attrsset
		return wire.NFS4ERR_BADXDR
	}
	var res wire.SETATTR4res
	res.Attrsset, res.Status = c.setattr(&a)
	res.MarshalXDR(c.e)
	return res.Status
}

func (c *compound) setattr(a *wire.SETATTR4args) (wire.Bitmap4, wire.Nfsstat4) {
	if st := c.needFile(); st != wire.NFS4_OK {
		return nil, st
	}
	sa, set, st := attr.Decode(&a.ObjAttributes, &c.s.attrs[c.minor])
	if st != wire.NFS4_OK {
		return nil, st
	}
	if st := c.writable(); st != wire.NFS4_OK {
		return nil, st
	}
	if sa.Mask&store.SetSize != 0 {
		if st := c.checkStateid(&a.Stateid, true); st != wire.NFS4_OK {
			return nil, st
		}
	}
	if _, err := c.fs().SetAttr(c.ctx, c.cred(), c.cur.node, &sa); err != nil {
		return nil, c.fail("SETATTR", err)
	}
	return set, wire.NFS4_OK
}

// ACCESS (RFC 7530 §16.1).
func opAccess(c *compound) wire.Nfsstat4 {
	var a wire.ACCESS4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	var g uint32
	var t store.FileType
	ro := true
	if d := c.cur.pseudo; d != nil {
		g, t = store.AccessRead|store.AccessExec, store.TypeDir
	} else {
		var at store.Attr
		var err error
		g, at, err = c.fs().Access(c.ctx, c.cred(), c.cur.node, store.AccessRead|store.AccessWrite|store.AccessExec)
		if err != nil {
			return c.status(c.fail("ACCESS", err))
		}
		t, ro = at.Type, c.cur.acc.ReadOnly
	}
	supported, granted := access4Bits(g, t, ro)
	res := wire.ACCESS4res{Status: wire.NFS4_OK, Resok4: wire.ACCESS4resok{
		Supported: a.Access & supported, Access: a.Access & granted}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// access4Bits converts granted store access into the ACCESS4 bits the
// server can decide for a node of type t, and those it grants.
func access4Bits(g uint32, t store.FileType, ro bool) (supported, granted uint32) {
	supported = wire.ACCESS4_READ | wire.ACCESS4_MODIFY | wire.ACCESS4_EXTEND
	if t == store.TypeDir {
		supported |= wire.ACCESS4_LOOKUP | wire.ACCESS4_DELETE
	} else {
		supported |= wire.ACCESS4_EXECUTE
	}
	if g&store.AccessRead != 0 {
		granted |= wire.ACCESS4_READ
	}
	if g&store.AccessWrite != 0 && !ro {
		granted |= wire.ACCESS4_MODIFY | wire.ACCESS4_EXTEND | wire.ACCESS4_DELETE
	}
	if g&store.AccessExec != 0 {
		granted |= wire.ACCESS4_LOOKUP | wire.ACCESS4_EXECUTE
	}
	return supported, granted & supported
}
