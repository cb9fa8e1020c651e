package nfs4

import (
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// regularFile checks that the current file is a file of an export for
// READ and WRITE; the store refuses other types (ioTypeStatus).
func (c *compound) regularFile() wire.Nfsstat4 {
	if st := c.needStoreFile(wire.NFS4ERR_ISDIR); st != wire.NFS4_OK {
		return st
	}
	return wire.NFS4_OK
}

// ioTypeStatus maps the store's refusal of READ or WRITE on a node that
// is not a regular file to kindStatus: NFS4ERR_ISDIR, NFS4ERR_SYMLINK, and
// NFS4ERR_WRONG_TYPE in 4.1 (RFC 8881 §18.22.3, §18.32.3) or NFS4ERR_INVAL
// in 4.0 (RFC 7530 §16.23.5) for the other types, as knfsd answers
// (nfsd_mode_check). Only this error path reads the node's type, so the
// hot path pays nothing for it.
func (c *compound) ioTypeStatus(err error) (wire.Nfsstat4, bool) {
	st, ok := typeStatus(err)
	if !ok || st != wire.NFS4ERR_INVAL {
		return st, ok
	}
	at, aerr := c.fs().GetAttr(c.ctx, nil, c.cur.node)
	if aerr != nil || at.Type == store.TypeRegular {
		return st, ok
	}
	return kindStatus(at.Type, c.minor), true
}

// kindStatus is the status of an operation that needs a regular file
// (COMMIT, LOCK, LOCKT, LOCKU, OPEN by filehandle) on a node of type t:
// NFS4ERR_ISDIR for a directory, NFS4ERR_SYMLINK for a symbolic link and
// for other types NFS4ERR_WRONG_TYPE in 4.1 (RFC 8881 §15.1.2.9,
// §18.3.4, §18.11.3) and NFS4ERR_INVAL in 4.0, as Linux knfsd answers
// (nfsd_mode_check and nfsd4_map_status).
func kindStatus(t store.FileType, minor uint32) wire.Nfsstat4 {
	switch t {
	case store.TypeRegular:
		return wire.NFS4_OK
	case store.TypeDir:
		return wire.NFS4ERR_ISDIR
	case store.TypeSymlink:
		return wire.NFS4ERR_SYMLINK
	}
	if minor >= 1 {
		return wire.NFS4ERR_WRONG_TYPE
	}
	return wire.NFS4ERR_INVAL
}

// needRegular checks that the current file is a regular file of an
// export (kindStatus; a pseudo-filesystem directory is NFS4ERR_ISDIR).
func (c *compound) needRegular(op string) wire.Nfsstat4 {
	if st := c.needStoreFile(wire.NFS4ERR_ISDIR); st != wire.NFS4_OK {
		return st
	}
	at, err := c.fs().GetAttr(c.ctx, nil, c.cur.node)
	if err != nil {
		return c.fail(op, err)
	}
	return kindStatus(at.Type, c.minor)
}

func typeStatus(err error) (wire.Nfsstat4, bool) {
	switch store.CodeOf(err) {
	case store.CodeIsDir:
		return wire.NFS4ERR_ISDIR, true
	case store.CodeInvalid:
		return wire.NFS4ERR_INVAL, true
	}
	return 0, false
}

// READ (RFC 7530 §16.23). The data goes into the reply without a copy.
func opRead(c *compound) wire.Nfsstat4 {
	var a wire.READ4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.regularFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if st := c.checkStateid(&a.Stateid, false); st != wire.NFS4_OK {
		return c.status(st)
	}
	n := int(min(uint32(a.Count), MaxIO))
	// Keep the reply within its bounds.
	if room := c.room() - 64; n > room {
		n = max(room, 0)
	}
	var buf []byte
	if n > 0 {
		buf = c.w.Buffer(n)[:n]
	}
	off := a.Offset
	if off > 1<<63-1 {
		off = 1<<63 - 1
	}
	got, eof, _, err := c.fs().ReadAt(c.ctx, c.cred(), c.cur.node, buf, int64(off))
	if err != nil {
		if st, ok := c.ioTypeStatus(err); ok {
			return c.status(st)
		}
		return c.status(c.fail("READ", err))
	}
	if n == 0 {
		at, err := c.fs().GetAttr(c.ctx, nil, c.cur.node)
		if err != nil {
			return c.status(c.fail("READ", err))
		}
		eof = uint64(a.Offset) >= at.Size
	}
	c.e.Uint32(uint32(wire.NFS4_OK))
	c.e.Bool(eof)
	if c.cachethis {
		// The reply is cached whole: no data outside the encoder.
		c.e.Opaque(buf[:got])
		return wire.NFS4_OK
	}
	c.e.Uint32(uint32(got))
	c.w.Data(buf[:got])
	c.data += got
	return wire.NFS4_OK
}

// WRITE (RFC 7530 §16.36).
func opWrite(c *compound) wire.Nfsstat4 {
	var a wire.WRITE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.regularFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if st := c.writable(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if st := c.checkStateid(&a.Stateid, true); st != wire.NFS4_OK {
		return c.status(st)
	}
	if a.Offset > 1<<63-1 || uint64(a.Offset)+uint64(len(a.Data)) > 1<<63-1 {
		return c.status(wire.NFS4ERR_FBIG)
	}
	how := store.Unstable
	committed := wire.UNSTABLE4
	switch a.Stable {
	case wire.DATA_SYNC4:
		how, committed = store.DataSync, wire.DATA_SYNC4
	case wire.FILE_SYNC4:
		how, committed = store.FileSync, wire.FILE_SYNC4
	}
	n, _, err := c.fs().WriteAt(c.ctx, c.cred(), c.cur.node, a.Data, int64(a.Offset), how)
	if err != nil {
		if st, ok := c.ioTypeStatus(err); ok {
			return c.status(st)
		}
		return c.status(c.fail("WRITE", err))
	}
	res := wire.WRITE4res{Status: wire.NFS4_OK, Resok4: wire.WRITE4resok{
		Count: wire.Count4(n), Committed: committed, Writeverf: wire.Verifier4(c.fs().WriteVerifier())}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// COMMIT (RFC 7530 §16.3, RFC 8881 §18.3): of a regular file only
// (needRegular).
func opCommit(c *compound) wire.Nfsstat4 {
	var a wire.COMMIT4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needRegular("COMMIT"); st != wire.NFS4_OK {
		return c.status(st)
	}
	if a.Offset > 1<<63-1 || uint64(a.Count) > 1<<63-1-uint64(a.Offset) {
		return c.status(wire.NFS4ERR_INVAL)
	}
	v, err := c.fs().Commit(c.ctx, c.cred(), c.cur.node)
	if err != nil {
		if st, ok := typeStatus(err); ok {
			return c.status(st)
		}
		return c.status(c.fail("COMMIT", err))
	}
	res := wire.COMMIT4res{Status: wire.NFS4_OK, Resok4: wire.COMMIT4resok{Writeverf: wire.Verifier4(v)}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// READLINK (RFC 7530 §16.25).
func opReadlink(c *compound) wire.Nfsstat4 {
	if st := c.needStoreFile(wire.NFS4ERR_INVAL); st != wire.NFS4_OK {
		return c.status(st)
	}
	t, err := c.fs().Readlink(c.ctx, c.cred(), c.cur.node)
	if err != nil {
		if store.CodeOf(err) == store.CodeInvalid {
			return c.status(wire.NFS4ERR_INVAL)
		}
		return c.status(c.fail("READLINK", err))
	}
	c.e.Uint32(uint32(wire.NFS4_OK))
	c.e.String(t)
	return wire.NFS4_OK
}
