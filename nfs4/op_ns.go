package nfs4

import (
	"unicode/utf8"

	"github.com/dittofs/dittofs/nfs4/internal/attr"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// unchanged is the change_info4 of an operation that left directory h
// as it was (an OPEN of an existing file): its change attribute now, as
// both before and after, atomic since nothing came between them. When h
// cannot be read it says nothing, and not atomic.
func (c *compound) unchanged(fs *store.FS, h store.Handle) wire.ChangeInfo4 {
	a, err := fs.GetAttr(c.ctx, nil, h)
	if err != nil {
		return wire.ChangeInfo4{}
	}
	return wire.ChangeInfo4{Atomic: true, Before: wire.Changeid4(a.Change), After: wire.Changeid4(a.Change)}
}

// changeInfo is the change_info4 of a directory change from the
// directory's attributes around it, which the store reads inside the
// change's transaction: atomic (RFC 7530 §3.3.6), so the client can
// keep its caches of the directory when before is what it had.
func changeInfo(w *store.Wcc) wire.ChangeInfo4 {
	return wire.ChangeInfo4{Atomic: true, Before: wire.Changeid4(w.Before.Change), After: wire.Changeid4(w.After.Change)}
}

// dirOp checks the current filehandle is a writable directory of an
// export for CREATE, REMOVE, LINK and RENAME (pseudo directories are
// read-only: NFS4ERR_ROFS).
func (c *compound) dirOp() wire.Nfsstat4 {
	if st := c.needStoreFile(wire.NFS4ERR_ROFS); st != wire.NFS4_OK {
		return st
	}
	return c.writable()
}

// CREATE (RFC 7530 §16.4): directories, symbolic links, devices, sockets
// and FIFOs; regular files are made by OPEN (NFS4ERR_BADTYPE).
func opCreate(c *compound) wire.Nfsstat4 {
	var a wire.CREATE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	var res wire.CREATE4res
	res.Status = c.create(&a, &res.Resok4)
	res.MarshalXDR(c.e)
	return res.Status
}

func (c *compound) create(a *wire.CREATE4args, ok *wire.CREATE4resok) wire.Nfsstat4 {
	if st := c.needFile(); st != wire.NFS4_OK {
		return st
	}
	switch a.Objtype.Type {
	case wire.NF4DIR, wire.NF4LNK, wire.NF4BLK, wire.NF4CHR, wire.NF4SOCK, wire.NF4FIFO:
	default:
		return wire.NFS4ERR_BADTYPE
	}
	if st := checkComponent(a.Objname); st != wire.NFS4_OK {
		return st
	}
	if st := c.dirOp(); st != wire.NFS4_OK {
		return st
	}
	sa, set, st := attr.Decode(&a.Createattrs, &c.s.attrs[c.minor])
	if st != wire.NFS4_OK {
		return st
	}
	fs, dir, name := c.fs(), c.cur.node, string(a.Objname)
	var w store.Wcc
	var h store.Handle
	var err error
	switch a.Objtype.Type {
	case wire.NF4DIR:
		h, _, w, err = fs.Mkdir(c.ctx, c.cred(), dir, name, &sa)
	case wire.NF4LNK:
		t := a.Objtype.Linkdata
		if len(t) == 0 || !utf8.Valid(t) {
			return wire.NFS4ERR_INVAL
		}
		h, _, w, err = fs.Symlink(c.ctx, c.cred(), dir, name, string(t), &sa)
	case wire.NF4BLK, wire.NF4CHR:
		typ := store.TypeBlock
		if a.Objtype.Type == wire.NF4CHR {
			typ = store.TypeChar
		}
		dev := store.Dev{Major: a.Objtype.Devdata.Specdata1, Minor: a.Objtype.Devdata.Specdata2}
		h, _, w, err = fs.Mknod(c.ctx, c.cred(), dir, name, typ, dev, &sa)
	case wire.NF4SOCK:
		h, _, w, err = fs.Mknod(c.ctx, c.cred(), dir, name, store.TypeSocket, store.Dev{}, &sa)
	case wire.NF4FIFO:
		h, _, w, err = fs.Mknod(c.ctx, c.cred(), dir, name, store.TypeFIFO, store.Dev{}, &sa)
	}
	if err != nil {
		return c.fail("CREATE", err)
	}
	ok.Cinfo = changeInfo(&w)
	ok.Attrset = set
	c.cur.node = h
	return wire.NFS4_OK
}

// REMOVE (RFC 7530 §16.27): a file or an empty directory.
func opRemove(c *compound) wire.Nfsstat4 {
	var a wire.REMOVE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	var res wire.REMOVE4res
	res.Status = c.remove(&a, &res.Resok4)
	res.MarshalXDR(c.e)
	return res.Status
}

func (c *compound) remove(a *wire.REMOVE4args, ok *wire.REMOVE4resok) wire.Nfsstat4 {
	if st := c.needFile(); st != wire.NFS4_OK {
		return st
	}
	if st := checkComponent(a.Target); st != wire.NFS4_OK {
		return st
	}
	if st := c.dirOp(); st != wire.NFS4_OK {
		return st
	}
	fs, dir, name := c.fs(), c.cur.node, string(a.Target)
	w, err := fs.Remove(c.ctx, c.cred(), dir, name)
	if store.CodeOf(err) == store.CodeIsDir {
		w, err = fs.Rmdir(c.ctx, c.cred(), dir, name)
	}
	if err != nil {
		return c.fail("REMOVE", err)
	}
	ok.Cinfo = changeInfo(&w)
	return wire.NFS4_OK
}

// RENAME (RFC 7530 §16.28): from the saved filehandle's directory to the
// current one's.
func opRename(c *compound) wire.Nfsstat4 {
	var a wire.RENAME4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	var res wire.RENAME4res
	res.Status = c.rename(&a, &res.Resok4)
	res.MarshalXDR(c.e)
	return res.Status
}

func (c *compound) rename(a *wire.RENAME4args, ok *wire.RENAME4resok) wire.Nfsstat4 {
	if !c.cur.set || !c.saved.set {
		return wire.NFS4ERR_NOFILEHANDLE
	}
	if st := checkComponent(a.Oldname); st != wire.NFS4_OK {
		return st
	}
	if st := checkComponent(a.Newname); st != wire.NFS4_OK {
		return st
	}
	if st := c.dirOp(); st != wire.NFS4_OK {
		return st
	}
	if c.saved.pseudo != nil {
		return wire.NFS4ERR_ROFS
	}
	if c.saved.exp != c.cur.exp {
		return wire.NFS4ERR_XDEV
	}
	fs, src, dst := c.fs(), c.saved.node, c.cur.node
	sw, dw, err := fs.Rename(c.ctx, c.cred(), src, string(a.Oldname), dst, string(a.Newname))
	if err != nil {
		return c.fail("RENAME", err)
	}
	ok.SourceCinfo = changeInfo(&sw)
	ok.TargetCinfo = changeInfo(&dw)
	return wire.NFS4_OK
}

// LINK (RFC 7530 §16.9): a new name in the current directory for the
// saved filehandle's file, which must not be a directory
// (NFS4ERR_ISDIR).
func opLink(c *compound) wire.Nfsstat4 {
	var a wire.LINK4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	var res wire.LINK4res
	res.Status = c.link(&a, &res.Resok4)
	res.MarshalXDR(c.e)
	return res.Status
}

func (c *compound) link(a *wire.LINK4args, ok *wire.LINK4resok) wire.Nfsstat4 {
	if !c.cur.set || !c.saved.set {
		return wire.NFS4ERR_NOFILEHANDLE
	}
	if st := checkComponent(a.Newname); st != wire.NFS4_OK {
		return st
	}
	if st := c.dirOp(); st != wire.NFS4_OK {
		return st
	}
	if c.saved.pseudo != nil {
		return wire.NFS4ERR_ISDIR
	}
	if c.saved.exp != c.cur.exp {
		return wire.NFS4ERR_XDEV
	}
	fs, dir := c.fs(), c.cur.node
	_, w, err := fs.Link(c.ctx, c.cred(), c.saved.node, dir, string(a.Newname))
	if err != nil {
		if store.CodeOf(err) == store.CodePermission {
			// The store refuses a directory with EPERM; NFSv4 says
			// NFS4ERR_ISDIR (RFC 7530 §16.9.5, RFC 8881 §18.9.4).
			if at, aerr := fs.GetAttr(c.ctx, nil, c.saved.node); aerr == nil && at.Type == store.TypeDir {
				return wire.NFS4ERR_ISDIR
			}
		}
		return c.fail("LINK", err)
	}
	ok.Cinfo = changeInfo(&w)
	return wire.NFS4_OK
}
