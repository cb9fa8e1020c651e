package nfs4

import (
	"encoding/binary"
	"os"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/state"
)

// serverOwnerOf is the so_major_id and server scope of EXCHANGE_ID:
// owner, or "dittofs:" and the host name, stable across restarts
// (trunking detection depends on it, RFC 8881 §2.10.5).
func serverOwnerOf(owner string) []byte {
	if owner != "" {
		return []byte(owner)
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "dittofs"
	}
	return []byte("dittofs:" + h)
}

// EXCHANGE_ID (RFC 8881 §18.35). AUTH_NONE callers are refused unless an
// export allows them (clientIDFlavorOK). State protection is SP4_NONE only
// (SP4_MACH_CRED and SP4_SSV are NFS4ERR_NOTSUPP, after which clients use
// SP4_NONE); this is a non-pNFS server (EXCHGID4_FLAG_USE_NON_PNFS).
func opExchangeID(c *compound) wire.Nfsstat4 {
	var a wire.EXCHANGE_ID4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if !c.clientIDFlavorOK("EXCHANGE_ID") {
		return wire.NFS4ERR_PERM // not sent: the call is denied AUTH_TOOWEAK
	}
	const known = wire.EXCHGID4_FLAG_SUPP_MOVED_REFER | wire.EXCHGID4_FLAG_SUPP_MOVED_MIGR |
		wire.EXCHGID4_FLAG_SUPP_FENCE_OPS | wire.EXCHGID4_FLAG_BIND_PRINC_STATEID |
		wire.EXCHGID4_FLAG_MASK_PNFS | wire.EXCHGID4_FLAG_UPD_CONFIRMED_REC_A
	if a.Flags&^known != 0 {
		// Unknown flags, or CONFIRMED_R, which only a server sets.
		return c.status(wire.NFS4ERR_INVAL)
	}
	if a.StateProtect.How != wire.SP4_NONE {
		return c.status(wire.NFS4ERR_NOTSUPP)
	}
	x, err := c.table().ExchangeID(c.ctx, export.AddrPort(c.call.Remote).Addr(), a.Clientowner.Ownerid,
		[8]byte(a.Clientowner.Verifier), principalOf(&c.call.Cred), a.Flags&wire.EXCHGID4_FLAG_UPD_CONFIRMED_REC_A != 0)
	if err != nil {
		// A full table is NFS4ERR_DELAY in 4.1 (minorStatus).
		return c.status(statusOf(err))
	}
	flags := uint32(wire.EXCHGID4_FLAG_USE_NON_PNFS)
	if x.Confirmed {
		flags |= wire.EXCHGID4_FLAG_CONFIRMED_R
	}
	owner := c.s.owner
	res := wire.EXCHANGE_ID4res{Status: wire.NFS4_OK, Resok4: wire.EXCHANGE_ID4resok{
		Clientid: wire.Clientid4(x.ID), Sequenceid: wire.Sequenceid4(x.Seq), Flags: flags,
		ServerOwner: wire.ServerOwner4{MajorID: owner}, ServerScope: owner,
		ServerImplID: []wire.NfsImplId4{{Domain: "dittofs.io", Name: "DittoFS"}}}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// CREATE_SESSION (RFC 8881 §18.36): confirms the client record on its
// first use, with its own sequence id and cached reply. The connection is
// bound to the fore channel and, when the client asks, to the back
// channel (callbacks then go over it).
func opCreateSession(c *compound) wire.Nfsstat4 {
	var a wire.CREATE_SESSION4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	// The arguments before the client record, as Linux knfsd checks them.
	if a.Flags&^createSessionFlags != 0 {
		return c.status(wire.NFS4ERR_INVAL)
	}
	if st := foreChannelFits(&a.ForeChanAttrs); st != wire.NFS4_OK {
		return c.status(st)
	}
	cl, replay, err := c.table().BeginCreateSession(uint64(a.Clientid), uint32(a.Sequence), principalOf(&c.call.Cred))
	if err != nil {
		return c.status(statusOf(err))
	}
	if replay != nil {
		c.e.FixedOpaque(replay)
		return wire.Nfsstat4(binary.BigEndian.Uint32(replay))
	}
	var res wire.CREATE_SESSION4res
	res.Status = c.createSession(&a, cl, &res.Resok4)
	res.MarshalXDR(c.e)
	c.table().EndCreateSession(c.ctx, cl, res.Status == wire.NFS4_OK, c.e.Bytes()[c.resStart:])
	return res.Status
}

// maxRequest is ca_maxrequestsize: a 1 MiB WRITE with its compound.
const maxRequest = MaxIO + 64<<10

// createSessionFlags are the csa_flags RFC 8881 §18.36 defines; any
// other bit is NFS4ERR_INVAL (Linux knfsd: SESSION4_FLAG_MASK_A).
const createSessionFlags = wire.CREATE_SESSION4_FLAG_PERSIST | wire.CREATE_SESSION4_FLAG_CONN_BACK_CHAN |
	wire.CREATE_SESSION4_FLAG_CONN_RDMA

// The smallest request and reply of a fore channel: a COMPOUND of
// SEQUENCE alone, with an empty tag and AUTH_NONE, RPC header included
// (RFC 8881 §18.36.3 counts ca_maxrequestsize and ca_maxresponsesize
// with the RPC headers).
const (
	// minSeqRequest: xid, msg_type, rpcvers, prog, vers, proc (24),
	// credential and verifier (8 + 8), tag, minorversion, numops (12),
	// opnum and SEQUENCE4args (4 + 32).
	minSeqRequest = 24 + 16 + 12 + 4 + 32
	// minSeqReply: xid, msg_type, reply_stat, verifier, accept_stat
	// (24), status, tag, numres (12), opnum, status and SEQUENCE4resok
	// (4 + 4 + 36).
	minSeqReply = 24 + 12 + 4 + 4 + 36
)

// foreChannelFits checks that a fore channel can carry a session's
// requests: SEQUENCE and one more operation, a slot, and requests and
// replies (cached ones too) of at least a SEQUENCE alone. Otherwise it
// is NFS4ERR_TOOSMALL (RFC 8881 §18.36.3: a ca_maxresponsesize "such
// that a replier on a channel could never send a response"; for
// ca_maxresponsesize_cached, "Like ca_maxresponsesize").
func foreChannelFits(a *wire.ChannelAttrs4) wire.Nfsstat4 {
	if a.Maxoperations < 2 || a.Maxrequests < 1 || a.Maxrequestsize < minSeqRequest ||
		a.Maxresponsesize < minSeqReply || a.MaxresponsesizeCached < minSeqReply {
		return wire.NFS4ERR_TOOSMALL
	}
	return wire.NFS4_OK
}

// createSession makes the session of CREATE_SESSION a for client cl.
// The fore channel's request and response sizes are lowered to the
// server's here; the state table lowers the rest and applies the reply
// cache budget (NFS4ERR_NOSPC past it).
func (c *compound) createSession(a *wire.CREATE_SESSION4args, cl *state.Client, ok *wire.CREATE_SESSION4resok) wire.Nfsstat4 {
	f := a.ForeChanAttrs
	ss, err := c.table().CreateSession(cl.ID, state.Channel{
		MaxRequestSize:        min(uint32(f.Maxrequestsize), maxRequest),
		MaxResponseSize:       min(uint32(f.Maxresponsesize), uint32(c.s.MaxReply)),
		MaxResponseSizeCached: uint32(f.MaxresponsesizeCached),
		MaxOperations:         uint32(f.Maxoperations),
		MaxRequests:           uint32(f.Maxrequests)})
	if err != nil {
		return statusOf(err)
	}
	back := a.BackChanAttrs
	back.Headerpadsize, back.RdmaIrd = 0, nil
	back.Maxrequests = 1 // one back channel slot
	back.MaxresponsesizeCached = 0
	cred, err := cbCred(a.SecParms)
	ss.SetCallback(a.CbProgram, cred, err)
	ss.Bind(c.call.Conn, state.DirFore)
	flags := uint32(0)
	if a.Flags&wire.CREATE_SESSION4_FLAG_CONN_BACK_CHAN != 0 && c.call.Conn != nil {
		ss.Bind(c.call.Conn, state.DirBack)
		flags |= wire.CREATE_SESSION4_FLAG_CONN_BACK_CHAN
		go c.s.probeBack(ss)
	}
	*ok = wire.CREATE_SESSION4resok{Sessionid: wire.Sessionid4(ss.ID()), Sequence: a.Sequence, Flags: flags,
		ForeChanAttrs: channelAttrs(ss.Fore()), BackChanAttrs: back}
	return wire.NFS4_OK
}

// channelAttrs is the channel_attrs4 of a session's fore channel.
func channelAttrs(f state.Channel) wire.ChannelAttrs4 {
	return wire.ChannelAttrs4{Maxrequestsize: wire.Count4(f.MaxRequestSize), Maxresponsesize: wire.Count4(f.MaxResponseSize),
		MaxresponsesizeCached: wire.Count4(f.MaxResponseSizeCached), Maxoperations: wire.Count4(f.MaxOperations),
		Maxrequests: wire.Count4(f.MaxRequests)}
}

// DESTROY_CLIENTID (RFC 8881 §18.50): NFS4ERR_CLIENTID_BUSY while the
// client has sessions; otherwise its state is released and its record
// removed.
func opDestroyClientID(c *compound) wire.Nfsstat4 {
	var a wire.DESTROY_CLIENTID4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if err := c.table().DestroyClient(c.ctx, uint64(a.Clientid)); err != nil {
		return c.status(statusOf(err))
	}
	return c.status(wire.NFS4_OK)
}

// RECLAIM_COMPLETE (RFC 8881 §18.51). The global form ends the client's
// reclaim (the lock managers end their grace period once every client of
// the last boot has); a second one is NFS4ERR_COMPLETE_ALREADY. The
// per-file-system form (rca_one_fs, for migration) is accepted and
// changes nothing: this server has no migration.
func opReclaimComplete(c *compound) wire.Nfsstat4 {
	var a wire.RECLAIM_COMPLETE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if a.OneFs {
		return c.status(c.needFile())
	}
	cl, err := c.table().Client(c.session.ClientID())
	if err != nil {
		return c.status(statusOf(err))
	}
	if err := c.table().ReclaimComplete(cl); err != nil {
		return c.status(statusOf(err))
	}
	for _, m := range c.s.Exports.LockManagers() {
		m.ReclaimComplete(c.ctx, locking.ProtoNFS4, cl.Name)
	}
	return c.status(wire.NFS4_OK)
}

// SECINFO_NO_NAME (RFC 8881 §18.45): the flavors of the current
// filehandle's export, or of its parent's; like SECINFO it consumes the
// current filehandle.
func opSecinfoNoName(c *compound) wire.Nfsstat4 {
	var a wire.SECINFO_NO_NAME4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	var flavors []wire.Secinfo4
	switch a.Style {
	case wire.SECINFO_STYLE4_CURRENT_FH:
		flavors = c.secinfoOf(c.cur.exp)
	case wire.SECINFO_STYLE4_PARENT:
		switch {
		case c.cur.pseudo != nil && c.cur.pseudo.parent == nil:
			return c.status(wire.NFS4ERR_NOENT)
		case c.cur.pseudo != nil, c.cur.node == c.cur.exp.Root():
			// The parent is a pseudo-filesystem directory.
			flavors = c.secinfoOf(nil)
		default:
			flavors = c.secinfoOf(c.cur.exp)
		}
	default:
		return c.status(wire.NFS4ERR_INVAL)
	}
	res := wire.SECINFO4res{Status: wire.NFS4_OK, Resok4: flavors}
	res.MarshalXDR(c.e)
	c.cur = fileRef{}
	return wire.NFS4_OK
}

// TEST_STATEID (RFC 8881 §18.48): the status of each stateid.
func opTestStateid(c *compound) wire.Nfsstat4 {
	var a wire.TEST_STATEID4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	res := wire.TEST_STATEID4res{Status: wire.NFS4_OK}
	res.Resok4.StatusCodes = make([]wire.Nfsstat4, len(a.Stateids))
	for i := range a.Stateids {
		sid := &a.Stateids[i]
		switch {
		case sid.IsReserved():
			res.Resok4.StatusCodes[i] = wire.NFS4ERR_BAD_STATEID
		default:
			_, st := c.findState(sid)
			res.Resok4.StatusCodes[i] = st
		}
	}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// FREE_STATEID (RFC 8881 §18.38): a lock stateid without locks is freed;
// one with locks, or an open stateid (CLOSE frees those), is
// NFS4ERR_LOCKS_HELD.
func opFreeStateid(c *compound) wire.Nfsstat4 {
	var a wire.FREE_STATEID4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	s, st := c.findState(&a.Stateid)
	if st != wire.NFS4_OK {
		return c.status(st)
	}
	if err := c.table().Free(c.ctx, s); err != nil {
		return c.status(statusOf(err))
	}
	return c.status(wire.NFS4_OK)
}

// WANT_DELEGATION (RFC 8881 §18.49): this server grants no delegations,
// and says so: OPEN_DELEGATE_NONE_EXT with WND4_NOT_SUPP_FTYPE, or
// WND4_CANCELLED for a cancel.
func opWantDelegation(c *compound) wire.Nfsstat4 {
	var a wire.WANT_DELEGATION4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needStoreFile(wire.NFS4ERR_INVAL); st != wire.NFS4_OK {
		return c.status(st)
	}
	why := wire.WND4_NOT_SUPP_FTYPE
	if a.Want&wire.OPEN4_SHARE_ACCESS_WANT_DELEG_MASK == wire.OPEN4_SHARE_ACCESS_WANT_CANCEL {
		why = wire.WND4_CANCELLED
	}
	res := wire.WANT_DELEGATION4res{Status: wire.NFS4_OK, Resok4: wire.OpenDelegation4{
		DelegationType: wire.OPEN_DELEGATE_NONE_EXT, Whynone: wire.OpenNoneDelegation4{Why: why}}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// opNotsuppArgs answers NFS4ERR_NOTSUPP for operations this server does
// not implement in 4.1: pNFS (LAYOUTGET, LAYOUTCOMMIT, LAYOUTRETURN,
// GETDEVICEINFO, GETDEVICELIST: EXCHANGE_ID says non-pNFS), SET_SSV
// (SP4_SSV is refused) and GET_DIR_DELEGATION (no delegations). Their
// arguments are decoded so that a malformed one is NFS4ERR_BADXDR.
func opNotsuppArgs(decode func(c *compound)) opFunc {
	return func(c *compound) wire.Nfsstat4 {
		decode(c)
		if c.badArgs() {
			return wire.NFS4ERR_BADXDR
		}
		return c.status(wire.NFS4ERR_NOTSUPP)
	}
}

var (
	opLayoutget        = opNotsuppArgs(func(c *compound) { var a wire.LAYOUTGET4args; a.UnmarshalXDR(c.d) })
	opLayoutcommit     = opNotsuppArgs(func(c *compound) { var a wire.LAYOUTCOMMIT4args; a.UnmarshalXDR(c.d) })
	opLayoutreturn     = opNotsuppArgs(func(c *compound) { var a wire.LAYOUTRETURN4args; a.UnmarshalXDR(c.d) })
	opGetdeviceinfo    = opNotsuppArgs(func(c *compound) { var a wire.GETDEVICEINFO4args; a.UnmarshalXDR(c.d) })
	opGetdevicelist    = opNotsuppArgs(func(c *compound) { var a wire.GETDEVICELIST4args; a.UnmarshalXDR(c.d) })
	opSetSsv           = opNotsuppArgs(func(c *compound) { var a wire.SET_SSV4args; a.UnmarshalXDR(c.d) })
	opGetDirDelegation = opNotsuppArgs(func(c *compound) { var a wire.GET_DIR_DELEGATION4args; a.UnmarshalXDR(c.d) })
)
