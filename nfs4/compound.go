package nfs4

import (
	"context"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs4/internal/attr"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/state"
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
	// headOff is the offset of the COMPOUND4res in e.
	headOff int
	// session is the NFSv4.1 session of the compound (after SEQUENCE),
	// with the slot it runs on and whether its reply is to be cached.
	session   *state.Session
	slotid    uint32
	cachethis bool
	// replayed is set by SEQUENCE when it answered a retransmission from
	// the reply cache: e then holds that reply and nothing else runs.
	replayed     bool
	replayStatus wire.Nfsstat4
	// resStart is the offset in e where the running operation's result
	// begins (after its opnum): seqid-mutating operations keep
	// e.Bytes()[resStart:] to replay it.
	resStart int
	// data is the bytes of zero-copy READ data already in the reply,
	// which e does not hold.
	data int

	cur, saved fileRef
	// curStateid is the current stateid of NFSv4.1 (RFC 8881
	// §16.2.3.1.2), set by OPEN, OPEN_DOWNGRADE, LOCK and LOCKU,
	// cleared by the operations that set the current filehandle
	// (opEntry.newFH); SAVEFH and RESTOREFH save and restore it with
	// the filehandle.
	curStateid      wire.Stateid4
	curStateidSet   bool
	savedStateid    wire.Stateid4
	savedStateidSet bool
	// checked caches the export check of the one export this compound
	// used last (almost every compound stays in one export).
	checkedExp *export.Export
	checked    export.Access
	checkedErr error
	// authDenied is set when an operation denied the whole call at the RPC
	// level (clientIDFlavorOK); the operation stops the COMPOUND.
	authDenied bool

	// Scratch space of GETATTR and VERIFY, here so that it does not
	// escape per call.
	obj   attr.Object
	fhBuf [fhSize]byte
}

var compoundPool = sync.Pool{New: func() any { return new(compound) }}

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
	c := compoundPool.Get().(*compound)
	*c = compound{s: s, ctx: ctx, call: call, w: w, minor: head.Minorversion, d: d, e: e, headOff: e.Len()}
	defer func() {
		*c = compound{}
		compoundPool.Put(c)
	}()
	res := wire.COMPOUND4resHead{Tag: head.Tag}
	res.MarshalXDR(e)
	if c.run(&head, &res) {
		// A retransmission answered from the session's reply cache.
		w.SetStatus(uint32(c.replayStatus))
		return
	}
	res.Patch(e, c.headOff)
	w.SetStatus(uint32(res.Status))
	if c.session != nil {
		// A denied call's reply is not this COMPOUND's: nothing to cache.
		c.session.End(c.slotid, e.Bytes()[c.headOff:], c.cachethis && !c.authDenied)
	}
}

// run executes the operations; it reports whether the reply is a replay
// from the reply cache (then e holds it whole).
func (c *compound) run(head *wire.COMPOUND4argsHead, res *wire.COMPOUND4resHead) (replayed bool) {
	s, d, e := c.s, c.d, c.e
	if !utf8.ValidString(string(head.Tag)) {
		res.Status = wire.NFS4ERR_INVAL
		return false
	}
	if head.Minorversion > s.maxMinor {
		res.Status = wire.NFS4ERR_MINOR_VERS_MISMATCH
		return false
	}
	maxOps := s.MaxOps
	for i := uint32(0); i < head.NumOps; i++ {
		op := wire.NfsOpnum4(d.Uint32())
		st := wire.NFS4_OK
		switch {
		case d.Err() != nil:
			// The array is shorter than its count.
			op, st = wire.OP_ILLEGAL, wire.NFS4ERR_BADXDR
		case int(i) >= maxOps:
			st = wire.NFS4ERR_RESOURCE
			if c.minor >= 1 {
				st = wire.NFS4ERR_TOO_MANY_OPS
			}
		case c.minor >= 1:
			st = c.sessionRule(i, op, head.NumOps)
		}
		if st != wire.NFS4_OK {
			e.Uint32(uint32(op))
			e.Uint32(uint32(st))
			res.Status = st
			res.NumResults++
			s.opDone(op, st)
			return false
		}
		fn := c.lookupOp(op)
		if fn == nil {
			op, fn = wire.OP_ILLEGAL, opIllegal
		}
		e.Uint32(uint32(op))
		c.resStart = e.Len()
		data := c.data
		st = fn(c)
		if c.replayed {
			return true
		}
		res.NumResults++
		if st == wire.NFS4_OK && int(op) < len(opTable) && opTable[op].newFH {
			// Linux knfsd clears the current stateid, so that a later
			// use of it is NFS4ERR_BAD_STATEID; RFC 8881 §16.2.3.1.2
			// makes it the all-zeros stateid, which every operation
			// that takes an open or lock stateid refuses the same way.
			c.curStateidSet = false
		}
		if st == wire.NFS4_OK && c.data == data {
			st = c.checkReplySize()
		}
		s.opDone(op, st)
		res.Status = st
		if st != wire.NFS4_OK {
			return false
		}
		if i == 0 && c.session != nil {
			maxOps = min(maxOps, int(c.session.Fore().MaxOperations))
		}
	}
	return false
}

// opDone tells OpDone of an operation run.
func (s *Server) opDone(op wire.NfsOpnum4, st wire.Nfsstat4) {
	if s.OpDone != nil {
		s.OpDone(strings.TrimPrefix(op.String(), "OP_"), st.String())
	}
}

// checkReplySize fails the operation that just ran when its result made
// the reply too large: NFS4ERR_RESOURCE (4.0) or NFS4ERR_REP_TOO_BIG,
// and NFS4ERR_REP_TOO_BIG_TO_CACHE when the client asked for a cached
// reply that cannot be (RFC 8881 §2.10.6.4).
func (c *compound) checkReplySize() wire.Nfsstat4 {
	n := c.e.Len() - c.headOff + c.data
	st := wire.NFS4_OK
	switch {
	case c.e.Len()+c.data > c.s.MaxReply:
		st = wire.NFS4ERR_RESOURCE
		if c.minor >= 1 {
			st = wire.NFS4ERR_REP_TOO_BIG
		}
	case c.session != nil && n > int(c.session.Fore().MaxResponseSize):
		st = wire.NFS4ERR_REP_TOO_BIG
	case c.session != nil && c.cachethis && n > int(c.session.Fore().MaxResponseSizeCached):
		st = wire.NFS4ERR_REP_TOO_BIG_TO_CACHE
	}
	if st != wire.NFS4_OK {
		c.e.Truncate(c.resStart)
		c.e.Uint32(uint32(st))
	}
	return st
}

// room returns how many more bytes the reply may hold: within MaxReply,
// and within the session's ca_maxresponsesize (and
// ca_maxresponsesize_cached when the reply is to be cached).
func (c *compound) room() int {
	r := c.s.MaxReply - c.e.Len() - c.data
	if ss := c.session; ss != nil {
		lim := int(ss.Fore().MaxResponseSize)
		if c.cachethis {
			lim = int(ss.Fore().MaxResponseSizeCached)
		}
		r = min(r, lim-(c.e.Len()-c.headOff)-c.data)
	}
	return r
}

// sessionRule applies the NFSv4.1 rules on where operations may appear
// (RFC 8881 §2.6.3.1.1, §18.46.3): SEQUENCE first, and only first; the
// operations that make or bind sessions may come without one but then
// alone; every other operation needs a session.
func (c *compound) sessionRule(i uint32, op wire.NfsOpnum4, n uint32) wire.Nfsstat4 {
	if i > 0 {
		if op == wire.OP_SEQUENCE {
			return wire.NFS4ERR_SEQUENCE_POS
		}
		return wire.NFS4_OK
	}
	switch op {
	case wire.OP_SEQUENCE, wire.OP_ILLEGAL:
		return wire.NFS4_OK
	case wire.OP_EXCHANGE_ID, wire.OP_CREATE_SESSION, wire.OP_DESTROY_SESSION,
		wire.OP_BIND_CONN_TO_SESSION, wire.OP_DESTROY_CLIENTID:
		if n > 1 {
			return wire.NFS4ERR_NOT_ONLY_OP
		}
		return wire.NFS4_OK
	}
	if e := c.lookupOp(op); e == nil {
		return wire.NFS4_OK // OP_ILLEGAL
	}
	return wire.NFS4ERR_OP_NOT_IN_SESSION
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
	if ent.only40 && c.minor > 0 {
		return opNotsupp41
	}
	return ent.fn
}

// status encodes a result that is only a status, as minorStatus maps it
// for the compound's minor version, and returns it.
func (c *compound) status(st wire.Nfsstat4) wire.Nfsstat4 {
	st = c.minorStatus(st)
	c.e.Uint32(uint32(st))
	return st
}

// minorStatus maps the 4.0 statuses that 4.1 does not have. "NFS4ERR_RESOURCE
// is not a valid error in NFSv4.1" (RFC 5662, the 4.1 XDR): an operation
// refused for want of state (a full client or state table, a lock
// manager's bound) is NFS4ERR_DELAY, as knfsd answers resource exhaustion
// (nfserr_jukebox), and the client retries. NFS4ERR_STALE_STATEID "is moot
// in NFSv4.1" (RFC 8881 §15.1.16.5) and no 4.1 operation lists it: a
// stateid of an earlier boot is NFS4ERR_BAD_STATEID, as knfsd answers
// (nfsd4_lookup_stateid); the Linux 4.1 client recovers from that, while
// STALE_STATEID makes it resend the same stateid without end.
func (c *compound) minorStatus(st wire.Nfsstat4) wire.Nfsstat4 {
	if c.minor >= 1 {
		switch st {
		case wire.NFS4ERR_RESOURCE:
			return wire.NFS4ERR_DELAY
		case wire.NFS4ERR_STALE_STATEID:
			return wire.NFS4ERR_BAD_STATEID
		}
	}
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

// opNotsupp41 answers the NFSv4.0 operations that 4.1 removed
// (SETCLIENTID, SETCLIENTID_CONFIRM, RENEW, OPEN_CONFIRM,
// RELEASE_LOCKOWNER): RFC 8881 §18 says NFS4ERR_NOTSUPP.
func opNotsupp41(c *compound) wire.Nfsstat4 { return c.status(wire.NFS4ERR_NOTSUPP) }

// check applies the rules of e to the caller (cached for the compound).
func (c *compound) check(e *export.Export) (export.Access, error) {
	if c.checkedExp != e {
		cr := &c.call.Cred
		ap := export.AddrPort(c.call.Remote)
		c.checked, c.checkedErr = e.Check(ap, export.SecOf(cr), export.IdentityOf(cr))
		c.checkedExp = e
		if c.checkedErr != nil {
			c.s.logs.Warn(c.s.log, "nfs4: client refused by the export rules",
				export.RefusalAttrs(e, ap, c.checked.Rule, c.checkedErr)...)
		}
	}
	return c.checked, c.checkedErr
}

// checkStatus is the status of a failed export check: NFS4ERR_WRONGSEC
// only when the security flavor is what is wrong (RFC 7530 §3.3.2: the
// client then picks another with SECINFO), else NFS4ERR_ACCESS (an
// address no rule admits, an unprivileged port on a secure export).
func checkStatus(err error) wire.Nfsstat4 {
	switch err {
	case nil:
		return wire.NFS4_OK
	case export.ErrWeakSecurity:
		return wire.NFS4ERR_WRONGSEC
	}
	return wire.NFS4ERR_ACCESS
}

// pseudoAccess checks an entry of a pseudo-filesystem directory against
// the caller's address: an entry that leads to no export admitting it is
// NFS4ERR_ACCESS (logged), not hidden behind NFS4ERR_NOENT.
func (c *compound) pseudoAccess(ent *pseudoEntry) wire.Nfsstat4 {
	ap := export.AddrPort(c.call.Remote)
	if ent.visible(ap.Addr()) {
		return wire.NFS4_OK
	}
	if e := ent.firstExport(); e != nil {
		c.s.logs.Warn(c.s.log, "nfs4: client refused by the export rules",
			export.RefusalAttrs(e, ap, nil, export.ErrClientDenied)...)
	}
	return wire.NFS4ERR_ACCESS
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
