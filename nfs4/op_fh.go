package nfs4

import (
	"strings"
	"unicode/utf8"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// PUTFH (RFC 7530 §16.20).
func opPutfh(c *compound) wire.Nfsstat4 {
	var a wire.PUTFH4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	return c.status(c.putfh(a.Object))
}

func (c *compound) putfh(b []byte) wire.Nfsstat4 {
	h, ok := c.s.Exports.DecodeHandle(b)
	if !ok {
		return wire.NFS4ERR_BADHANDLE
	}
	if h.Kind == export.KindPseudo {
		d := c.s.pseudo.byID[h.ID]
		if d == nil {
			return wire.NFS4ERR_STALE
		}
		c.cur = fileRef{set: true, pseudo: d}
		return wire.NFS4_OK
	}
	e := c.s.Exports.ByID(h.ID)
	if e == nil {
		return wire.NFS4ERR_STALE
	}
	return c.setFile(e, h.Node)
}

// PUTROOTFH (RFC 7530 §16.22) and PUTPUBFH (§16.21: the public
// filehandle is the root of the pseudo-filesystem too).
func opPutrootfh(c *compound) wire.Nfsstat4 {
	if e := c.s.pseudo.rootExport; e != nil {
		return c.status(c.setFile(e, e.Root()))
	}
	c.cur = fileRef{set: true, pseudo: c.s.pseudo.root}
	return c.status(wire.NFS4_OK)
}

// GETFH (RFC 7530 §16.8).
func opGetfh(c *compound) wire.Nfsstat4 {
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	var buf [fhSize]byte
	c.e.Uint32(uint32(wire.NFS4_OK))
	c.e.Opaque(c.s.fhOf(&buf, &c.cur))
	return wire.NFS4_OK
}

// SAVEFH (RFC 7530 §16.31), with the current stateid (RFC 8881
// §16.2.3.1.2).
func opSavefh(c *compound) wire.Nfsstat4 {
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	c.saved = c.cur
	c.savedStateid, c.savedStateidSet = c.curStateid, c.curStateidSet
	return c.status(wire.NFS4_OK)
}

// RESTOREFH (RFC 7530 §16.30), with the saved stateid (RFC 8881
// §16.2.3.1.2).
func opRestorefh(c *compound) wire.Nfsstat4 {
	if !c.saved.set {
		return c.status(wire.NFS4ERR_RESTOREFH)
	}
	c.cur = c.saved
	c.curStateid, c.curStateidSet = c.savedStateid, c.savedStateidSet
	return c.status(wire.NFS4_OK)
}

// maxName is the longest name of the pseudo-filesystem and the most any
// export allows (an export's maxname may be less: the store checks
// that).
const maxName = 255

// checkComponent validates a name of LOOKUP, CREATE, OPEN, REMOVE,
// RENAME, LINK and SECINFO (RFC 7530 §12.7), in Linux knfsd's order
// (check_filename): empty is NFS4ERR_INVAL, longer than maxName
// NFS4ERR_NAMETOOLONG (in the pseudo-filesystem too, not NFS4ERR_NOENT),
// not UTF-8 NFS4ERR_INVAL, "." and ".." NFS4ERR_BADNAME, a '/' or NUL
// NFS4ERR_BADCHAR.
func checkComponent(name wire.Component4) wire.Nfsstat4 {
	s := string(name)
	switch {
	case s == "":
		return wire.NFS4ERR_INVAL
	case len(s) > maxName:
		return wire.NFS4ERR_NAMETOOLONG
	case !utf8.ValidString(s):
		return wire.NFS4ERR_INVAL
	case s == "." || s == "..":
		return wire.NFS4ERR_BADNAME
	case strings.ContainsAny(s, "/\x00"):
		return wire.NFS4ERR_BADCHAR
	}
	return wire.NFS4_OK
}

// LOOKUP (RFC 7530 §16.15).
func opLookup(c *compound) wire.Nfsstat4 {
	var a wire.LOOKUP4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if st := checkComponent(a.Objname); st != wire.NFS4_OK {
		return c.status(st)
	}
	name := string(a.Objname)
	if d := c.cur.pseudo; d != nil {
		ent := d.find(name)
		if ent == nil {
			return c.status(wire.NFS4ERR_NOENT)
		}
		if st := c.pseudoAccess(ent); st != wire.NFS4_OK {
			return c.status(st)
		}
		if ent.dir != nil {
			c.cur = fileRef{set: true, pseudo: ent.dir}
			return c.status(wire.NFS4_OK)
		}
		return c.status(c.setFile(ent.exp, ent.exp.Root()))
	}
	h, _, err := c.fs().Lookup(c.ctx, c.cred(), c.cur.node, name)
	if err != nil {
		return c.status(c.lookupFail(err))
	}
	c.cur.node = h
	return c.status(wire.NFS4_OK)
}

// lookupFail maps a Lookup error: a symbolic link as the directory is
// NFS4ERR_SYMLINK (RFC 7530 §16.15.5), another non-directory NOTDIR.
func (c *compound) lookupFail(err error) wire.Nfsstat4 {
	st := c.fail("LOOKUP", err)
	if st == wire.NFS4ERR_NOTDIR {
		if at, err := c.fs().GetAttr(c.ctx, nil, c.cur.node); err == nil && at.Type == store.TypeSymlink {
			return wire.NFS4ERR_SYMLINK
		}
	}
	return st
}

// LOOKUPP (RFC 7530 §16.16): the parent; at an export's root, the pseudo
// directory it is mounted on.
func opLookupp(c *compound) wire.Nfsstat4 {
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if d := c.cur.pseudo; d != nil {
		if d.parent == nil {
			return c.status(wire.NFS4ERR_NOENT)
		}
		c.cur = fileRef{set: true, pseudo: d.parent}
		return c.status(wire.NFS4_OK)
	}
	if c.cur.node == c.cur.exp.Root() {
		up := c.s.pseudo.up[c.cur.exp]
		if up == nil {
			return c.status(wire.NFS4ERR_NOENT)
		}
		c.cur = fileRef{set: true, pseudo: up}
		return c.status(wire.NFS4_OK)
	}
	h, _, err := c.fs().Lookup(c.ctx, c.cred(), c.cur.node, "..")
	if err != nil {
		return c.status(c.lookupFail(err))
	}
	c.cur.node = h
	return c.status(wire.NFS4_OK)
}

// SECINFO (RFC 7530 §16.31): the flavors the export the name is in allows
// the client, in the rule's order. The current filehandle is kept (in
// 4.1 SECINFO consumes it; that is the 4.1 work's to add).
func opSecinfo(c *compound) wire.Nfsstat4 {
	var a wire.SECINFO4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	if st := checkComponent(a.Name); st != wire.NFS4_OK {
		return c.status(st)
	}
	e := c.cur.exp
	if d := c.cur.pseudo; d != nil {
		ent := d.find(string(a.Name))
		if ent == nil {
			return c.status(wire.NFS4ERR_NOENT)
		}
		if st := c.pseudoAccess(ent); st != wire.NFS4_OK {
			return c.status(st)
		}
		e = ent.exp
	} else if _, _, err := c.fs().Lookup(c.ctx, c.cred(), c.cur.node, string(a.Name)); err != nil {
		return c.status(c.lookupFail(err))
	}
	res := wire.SECINFO4res{Status: wire.NFS4_OK, Resok4: c.secinfoOf(e)}
	res.MarshalXDR(c.e)
	if c.minor >= 1 {
		// RFC 8881 §2.6.3.1.1.8: SECINFO consumes the current filehandle.
		c.cur = fileRef{}
	}
	return wire.NFS4_OK
}

// secinfoOf lists the flavors of export e for the caller; nil is a
// pseudo-filesystem directory, where AUTH_SYS gets a client further.
func (c *compound) secinfoOf(e *export.Export) []wire.Secinfo4 {
	if e == nil {
		return []wire.Secinfo4{{Flavor: rpcAuthSys}}
	}
	var list []wire.Secinfo4
	if r := e.Rule(export.AddrPort(c.call.Remote).Addr()); r != nil {
		for _, f := range r.Flavors() {
			list = append(list, secinfoOf(f))
		}
	}
	return list
}

const (
	rpcAuthSys    = 1
	rpcsecGSS     = 6
	rpcGSSSvcNone = 1
)

// krb5OID is the Kerberos 5 GSS mechanism, 1.2.840.113554.1.2.2, as
// SECINFO carries it: the DER contents without tag and length, as the
// Linux client and server compare it.
var krb5OID = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}

// secinfoOf is the secinfo4 of an export flavor: RPCSEC_GSS flavors are
// the mechanism and service (RFC 7530 §16.31.4), not pseudo-flavors.
func secinfoOf(f export.Sec) wire.Secinfo4 {
	switch f {
	case export.SecKrb5, export.SecKrb5i, export.SecKrb5p:
		return wire.Secinfo4{Flavor: rpcsecGSS, FlavorInfo: wire.RpcsecGssInfo{
			Oid: krb5OID, Service: wire.RpcGssSvcT(rpcGSSSvcNone + uint32(f-export.SecKrb5))}}
	}
	return wire.Secinfo4{Flavor: f.Flavor()}
}
