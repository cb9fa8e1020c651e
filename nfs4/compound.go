package nfs4

import (
	"context"
	"net"
	"net/netip"
	"unicode/utf8"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// compound is one COMPOUND being executed: the call, the argument decoder
// positioned at the next operation, the reply encoder, and the current
// and saved filehandles (RFC 7530 §15.2.3).
type compound struct {
	s     *Server
	ctx   context.Context
	call  *rpc.Call
	w     *rpc.ReplyWriter
	minor uint32
	d     *xdr.Decoder
	e     *xdr.Encoder
	// resStart is the offset in e where the running operation's result
	// begins (after its opnum): seqid-mutating operations keep
	// e.Bytes()[resStart:] to replay it.
	resStart int
	// data is the bytes of zero-copy READ data already in the reply,
	// which e does not hold.
	data int

	cur, saved fileRef
	// checked caches the export check of the one export this compound
	// used last (almost every compound stays in one export).
	checkedExp *export.Export
	checked    export.Access
	checkedErr error
}

// fileRef is a current or saved filehandle: a node of an export, or a
// directory of the pseudo-filesystem.
type fileRef struct {
	set    bool
	pseudo *pseudoDir // non-nil: a pseudo-filesystem directory
	exp    *export.Export
	node   store.Handle
	acc    export.Access // the export check for this caller
}

// opFunc runs one operation: it decodes its arguments from c.d, runs,
// appends its whole result (status and body) to c.e and returns the
// status.
type opFunc func(c *compound) wire.Nfsstat4

// compound executes a COMPOUND call.
func (s *Server) compound(ctx context.Context, w *rpc.ReplyWriter, call *rpc.Call) {
	d := call.Args
	var head wire.COMPOUND4argsHead
	head.UnmarshalXDR(d)
	if d.Err() != nil {
		w.Fail(rpc.GARBAGE_ARGS)
		return
	}
	e := w.Encoder()
	headOff := e.Len()
	res := wire.COMPOUND4resHead{Tag: head.Tag}
	res.MarshalXDR(e)
	defer func() { res.Patch(e, headOff) }()

	if !utf8.ValidString(string(head.Tag)) {
		res.Status = wire.NFS4ERR_INVAL
		return
	}
	if head.Minorversion > maxMinor {
		res.Status = wire.NFS4ERR_MINOR_VERS_MISMATCH
		return
	}
	c := &compound{s: s, ctx: ctx, call: call, w: w, minor: head.Minorversion, d: d, e: e}
	for i := uint32(0); i < head.NumOps; i++ {
		op := wire.NfsOpnum4(d.Uint32())
		if d.Err() != nil {
			// The array is shorter than its count.
			e.Uint32(uint32(wire.OP_ILLEGAL))
			e.Uint32(uint32(wire.NFS4ERR_BADXDR))
			res.Status = wire.NFS4ERR_BADXDR
			res.NumResults++
			return
		}
		if int(i) >= s.MaxOps {
			e.Uint32(uint32(op))
			e.Uint32(uint32(wire.NFS4ERR_RESOURCE))
			res.Status = wire.NFS4ERR_RESOURCE
			res.NumResults++
			return
		}
		fn := c.lookupOp(op)
		if fn == nil {
			op = wire.OP_ILLEGAL
			fn = opIllegal
		}
		e.Uint32(uint32(op))
		c.resStart = e.Len()
		st := fn(c)
		res.NumResults++
		if st == wire.NFS4_OK && e.Len()+c.data > s.MaxReply {
			e.Truncate(c.resStart)
			e.Uint32(uint32(wire.NFS4ERR_RESOURCE))
			st = wire.NFS4ERR_RESOURCE
		}
		res.Status = st
		if st != wire.NFS4_OK {
			return
		}
	}
}

// lookupOp returns the function of op in this compound's minor version,
// or nil when the operation does not exist in it.
func (c *compound) lookupOp(op wire.NfsOpnum4) opFunc {
	if int(op) >= len(opTable) {
		return nil
	}
	ent := &opTable[op]
	if ent.fn == nil || c.minor < uint32(ent.minMinor) {
		return nil
	}
	return ent.fn
}

// status encodes a result that is only a status and returns it.
func (c *compound) status(st wire.Nfsstat4) wire.Nfsstat4 {
	c.e.Uint32(uint32(st))
	return st
}

// badArgs reports whether the running operation's arguments failed to
// decode; if so it has encoded NFS4ERR_BADXDR as the result.
func (c *compound) badArgs() bool {
	if c.d.Err() == nil {
		return false
	}
	c.e.Uint32(uint32(wire.NFS4ERR_BADXDR))
	return true
}

func opIllegal(c *compound) wire.Nfsstat4 { return c.status(wire.NFS4ERR_OP_ILLEGAL) }

// addrPort returns the caller's address and port.
func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	if a == nil {
		return netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// secOf returns the export security flavor of a call's credential, 0 for
// one no export can allow.
func secOf(c *rpc.Cred) export.Sec {
	switch c.Flavor {
	case rpc.AUTH_NONE:
		return export.SecNone
	case rpc.AUTH_SYS:
		return export.SecSys
	case rpc.RPCSEC_GSS:
		switch c.Service {
		case 1:
			return export.SecKrb5
		case 2:
			return export.SecKrb5i
		case 3:
			return export.SecKrb5p
		}
	}
	return 0
}

// check applies the rules of e to the caller (cached for the compound).
func (c *compound) check(e *export.Export) (export.Access, error) {
	if c.checkedExp != e {
		cr := &c.call.Cred
		c.checked, c.checkedErr = e.Check(addrPort(c.call.Remote), secOf(cr),
			export.Identity{UID: cr.UID, GID: cr.GID, Groups: cr.GIDs})
		c.checkedExp = e
	}
	return c.checked, c.checkedErr
}

// checkStatus is the status of a failed export check.
func checkStatus(err error) wire.Nfsstat4 {
	switch err {
	case nil:
		return wire.NFS4_OK
	case export.ErrClientDenied:
		return wire.NFS4ERR_ACCESS
	}
	return wire.NFS4ERR_WRONGSEC
}

// setFile makes node of e the current filehandle, checking the export's
// rules for the caller.
func (c *compound) setFile(e *export.Export, node store.Handle) wire.Nfsstat4 {
	acc, err := c.check(e)
	if err != nil {
		return checkStatus(err)
	}
	c.cur = fileRef{set: true, exp: e, node: node, acc: acc}
	return wire.NFS4_OK
}

// needFile checks that there is a current filehandle.
func (c *compound) needFile() wire.Nfsstat4 {
	if !c.cur.set {
		return wire.NFS4ERR_NOFILEHANDLE
	}
	return wire.NFS4_OK
}

// needStoreFile checks that the current filehandle is a node of an
// export; pseudo-filesystem directories get notPseudo.
func (c *compound) needStoreFile(notPseudo wire.Nfsstat4) wire.Nfsstat4 {
	if !c.cur.set {
		return wire.NFS4ERR_NOFILEHANDLE
	}
	if c.cur.pseudo != nil {
		return notPseudo
	}
	return wire.NFS4_OK
}

// fs and cred of the current file (needStoreFile first).
func (c *compound) fs() *store.FS     { return c.cur.exp.FS }
func (c *compound) cred() *store.Cred { return &c.cur.acc.Cred }

// writable checks that the current file's export is writable for the
// caller.
func (c *compound) writable() wire.Nfsstat4 {
	if c.cur.pseudo != nil || c.cur.acc.ReadOnly {
		return wire.NFS4ERR_ROFS
	}
	return wire.NFS4_OK
}
