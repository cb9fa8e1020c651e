package nfs4

import (
	"encoding/binary"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs4/internal/attr"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// READDIR (RFC 7530 §16.24). Entries are encoded as the store lists the
// directory, each with the attributes asked for, until maxcount (bounded
// by the reply limit) or dircount (the bytes of cookies and names) would
// be passed. The store's cookies are stable (3 and up; 0 starts, 1 and 2
// are never handed out), so a listing resumes correctly while the
// directory changes; a cookie the directory never handed out, or one with
// another verifier, is NFS4ERR_BAD_COOKIE. A maxcount too small for one
// entry, or for the empty list of a directory at its end (minResok), is
// NFS4ERR_TOOSMALL; asking for a write-only attribute NFS4ERR_INVAL
// (attr.WriteOnly).
func opReaddir(c *compound) wire.Nfsstat4 {
	var a wire.READDIR4args
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
	if a.Cookie == 1 || a.Cookie == 2 {
		return c.status(wire.NFS4ERR_BAD_COOKIE)
	}
	if a.Maxcount < minResok {
		return c.status(wire.NFS4ERR_TOOSMALL)
	}
	r := dirReply{c: c, want: a.AttrRequest, start: c.e.Len()}
	r.limit = int(a.Maxcount)
	if room := c.room() - 4; r.limit > room {
		r.limit = room
	}
	r.dirLimit = int(a.Dircount)
	if r.dirLimit == 0 {
		r.dirLimit = r.limit
	}
	// status, cookieverf
	c.e.Uint32(uint32(wire.NFS4_OK))
	verfOff := c.e.Len()
	r.resok = verfOff
	c.e.Uint64(0)
	var verf store.Verifier
	var eof bool
	var err error
	if d := c.cur.pseudo; d != nil {
		verf, eof = r.pseudo(d, uint64(a.Cookie), store.Verifier(a.Cookieverf))
	} else {
		plus := len(a.AttrRequest) > 0
		verf, eof, err = c.fs().ReadDir(c.ctx, c.cred(), c.cur.node, uint64(a.Cookie), store.Verifier(a.Cookieverf), plus,
			func(de *store.DirEntry) bool {
				f := fileRef{set: true, exp: c.cur.exp, node: de.Handle, acc: c.cur.acc}
				return r.entry(de.Cookie, de.Name, &f, &de.Attr, nil)
			})
	}
	if err == nil && r.failed != wire.NFS4_OK {
		err = errStatus(r.failed)
	}
	if err != nil {
		c.e.Truncate(r.start)
		if se, ok := err.(errStatus); ok {
			return c.status(wire.Nfsstat4(se))
		}
		return c.status(c.fail("READDIR", err))
	}
	if r.n == 0 && !eof {
		c.e.Truncate(r.start)
		return c.status(wire.NFS4ERR_TOOSMALL)
	}
	copy(c.e.Bytes()[verfOff:verfOff+8], verf[:])
	c.e.Bool(false) // no more entries
	c.e.Bool(eof)
	return wire.NFS4_OK
}

// minResok is the size of the READDIR4resok of an empty list: the
// cookie verifier, the end of the list and eof. maxcount is the size of
// READDIR4resok (RFC 7530 §16.24.4); one below this cannot hold even the
// empty list and is NFS4ERR_TOOSMALL (Linux knfsd nfsd4_encode_readdir).
const minResok = 16

// errStatus carries an nfsstat4 out of a ReadDir callback.
type errStatus wire.Nfsstat4

func (e errStatus) Error() string { return "nfs4: readdir entry failed" }

// dirReply encodes READDIR entries within the client's counts.
type dirReply struct {
	c               *compound
	want            wire.Bitmap4
	start           int // offset of the result in c.e
	resok           int // offset of the READDIR4resok (after the status)
	limit, dirLimit int // maxcount and dircount
	dirBytes        int
	n               int
	failed          wire.Nfsstat4
	obj             attr.Object
	fh              [fhSize]byte
}

// trailer is what follows the entries: the end of the list and eof.
const trailer = 8

// entry encodes one entry; it reports false (and encodes nothing) when
// the entry does not fit, or on an attribute error with no rdattr_error
// asked, which fails the READDIR.
func (r *dirReply) entry(cookie uint64, name string, f *fileRef, a *store.Attr, aerr error) bool {
	e := r.c.e
	before := e.Len()
	e.Bool(true)
	e.Uint64(cookie)
	e.String(name)
	dirBytes := 8 + xdr.SizeOpaque(len(name))
	if aerr != nil {
		if !attr.EncodeError(e, r.want, statusOf(aerr)) {
			e.Truncate(before)
			r.failed = statusOf(aerr)
			return false
		}
	} else {
		r.c.object(&r.obj, f, a, &r.fh)
		attr.Encode(e, r.want, &r.obj, &r.c.s.attrs[r.c.minor])
	}
	if e.Len()-r.resok+trailer > r.limit || (r.n > 0 && r.dirBytes+dirBytes > r.dirLimit) {
		e.Truncate(before)
		return false
	}
	r.dirBytes += dirBytes
	r.n++
	return true
}

// pseudo lists a pseudo directory: its entries visible to the client,
// with cookies 3 and up by position.
func (r *dirReply) pseudo(d *pseudoDir, cookie uint64, verf store.Verifier) (store.Verifier, bool) {
	c := r.c
	var pv store.Verifier
	binary.BigEndian.PutUint64(pv[:], uint64(c.s.pseudo.started))
	if cookie != 0 && verf != (store.Verifier{}) && verf != pv {
		r.failed = wire.NFS4ERR_BAD_COOKIE
		return pv, false
	}
	addr := export.AddrPort(c.call.Remote).Addr()
	for i := range d.entries {
		ck := uint64(i) + 3
		ent := &d.entries[i]
		if ck <= cookie || !ent.visible(addr) {
			continue
		}
		var f fileRef
		var a store.Attr
		var aerr error
		if ent.dir != nil {
			f = fileRef{set: true, pseudo: ent.dir}
		} else {
			acc, err := c.check(ent.exp)
			f = fileRef{set: true, exp: ent.exp, node: ent.exp.Root(), acc: acc}
			if err == nil {
				a, aerr = ent.exp.FS.GetAttr(c.ctx, nil, f.node)
			} else {
				aerr = store.ErrAccess
			}
		}
		if !r.entry(ck, ent.name, &f, &a, aerr) {
			return pv, false
		}
	}
	return pv, true
}
