package nfs4

import (
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/state"
)

// SEQUENCE (RFC 8881 §18.46): the first operation of every NFSv4.1
// compound that is not itself making or binding a session. It finds the
// session and the slot, answers a retransmission from the slot's reply
// cache (the whole compound, bit for bit, whatever connection it came on)
// and renews the client's lease.
func opSequence(c *compound) wire.Nfsstat4 {
	var a wire.SEQUENCE4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if c.session != nil {
		return c.status(wire.NFS4ERR_SEQUENCE_POS)
	}
	ss := c.table().Session(state.SessionID(a.Sessionid))
	if ss == nil {
		return c.status(wire.NFS4ERR_BADSESSION)
	}
	if c.requestSize() > int(ss.Fore().MaxRequestSize) {
		// Before the slot, as Linux knfsd decides it: nothing of the
		// compound runs and the slot is left as it was (RFC 8881
		// §2.10.6.4, §18.36.3).
		return c.status(wire.NFS4ERR_REQ_TOO_BIG)
	}
	replay, err := ss.Begin(uint32(a.Slotid), uint32(a.Sequenceid))
	if err != nil {
		return c.status(statusOf(err))
	}
	if replay != nil {
		c.e.Truncate(c.headOff)
		c.e.FixedOpaque(replay)
		c.replayed = true
		c.replayStatus = wire.Nfsstat4(uint32(replay[0])<<24 | uint32(replay[1])<<16 | uint32(replay[2])<<8 | uint32(replay[3]))
		return wire.NFS4_OK
	}
	// From here on the slot is busy until the compound ends (compound
	// calls end).
	c.session, c.slotid, c.cachethis = ss, uint32(a.Slotid), a.Cachethis
	// A connection is bound to the fore channel by its first SEQUENCE
	// (RFC 8881 §2.10.3.1, state protection SP4_NONE).
	ss.Bind(c.call.Conn, state.DirFore)
	flags := uint32(0)
	if c.s.renewSession != nil {
		var st wire.Nfsstat4
		if flags, st = c.s.renewSession(ss.ClientID()); st != wire.NFS4_OK {
			return c.status(st)
		}
	}
	if ss.BackConn() == nil || ss.CallbackDown() {
		flags |= wire.SEQ4_STATUS_CB_PATH_DOWN_SESSION | wire.SEQ4_STATUS_CB_PATH_DOWN
	}
	top := wire.Slotid4(ss.Fore().MaxRequests - 1)
	res := wire.SEQUENCE4res{Status: wire.NFS4_OK, Resok4: wire.SEQUENCE4resok{
		Sessionid: a.Sessionid, Sequenceid: a.Sequenceid, Slotid: a.Slotid,
		HighestSlotid: top, TargetHighestSlotid: top, StatusFlags: flags}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// requestSize is the size of the call as ca_maxrequestsize counts it:
// the RPC header with the credential and verifier as sent, and the
// arguments (after RPCSEC_GSS unwrapping, which only makes them
// shorter).
func (c *compound) requestSize() int {
	pad := func(n int) int { return (n + 3) &^ 3 }
	return 24 + 8 + pad(len(c.call.RawCred.Body)) + 8 + pad(len(c.call.RawVerf.Body)) + c.d.Offset() + c.d.Remaining()
}

// DESTROY_SESSION (RFC 8881 §18.37). Outside a SEQUENCE compound the
// connection must be bound to the session.
func opDestroySession(c *compound) wire.Nfsstat4 {
	var a wire.DESTROY_SESSION4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	ss := c.table().Session(state.SessionID(a.Sessionid))
	if ss == nil {
		return c.status(wire.NFS4ERR_BADSESSION)
	}
	if c.session == nil && !ss.BoundTo(c.call.Conn) {
		return c.status(wire.NFS4ERR_CONN_NOT_BOUND_TO_SESSION)
	}
	if c.session == ss {
		// The session ends with this compound; its slot is not needed.
		c.session = nil
	}
	c.table().DestroySession(ss)
	return c.status(wire.NFS4_OK)
}

// BIND_CONN_TO_SESSION (RFC 8881 §18.34): bind the connection the call
// came on to a session's fore channel, back channel or both.
func opBindConnToSession(c *compound) wire.Nfsstat4 {
	var a wire.BIND_CONN_TO_SESSION4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	ss := c.table().Session(state.SessionID(a.Sessid))
	if ss == nil {
		return c.status(wire.NFS4ERR_BADSESSION)
	}
	var dir state.Dir
	switch a.Dir {
	case wire.CDFC4_FORE:
		dir = state.DirFore
	case wire.CDFC4_BACK:
		dir = state.DirBack
	case wire.CDFC4_FORE_OR_BOTH, wire.CDFC4_BACK_OR_BOTH:
		dir = state.DirBoth
	default:
		return c.status(wire.NFS4ERR_INVAL)
	}
	if c.call.Conn == nil {
		// UDP: there is no connection to bind.
		return c.status(wire.NFS4ERR_INVAL)
	}
	ss.Bind(c.call.Conn, dir)
	if dir&state.DirBack != 0 {
		go c.s.probeBack(ss)
	}
	// state.Dir has the values of channel_dir_from_server4.
	res := wire.BIND_CONN_TO_SESSION4res{Status: wire.NFS4_OK, Resok4: wire.BIND_CONN_TO_SESSION4resok{Sessid: a.Sessid, Dir: wire.ChannelDirFromServer4(dir)}}
	res.MarshalXDR(c.e)
	return wire.NFS4_OK
}

// BACKCHANNEL_CTL (RFC 8881 §18.33): a new callback program for the
// session's back channel.
func opBackchannelCtl(c *compound) wire.Nfsstat4 {
	var a wire.BACKCHANNEL_CTL4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	ss := c.session
	cred, err := cbCred(a.SecParms)
	ss.SetCallback(a.CbProgram, cred, err)
	go c.s.probeBack(ss)
	return c.status(wire.NFS4_OK)
}
