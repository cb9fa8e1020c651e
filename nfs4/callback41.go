package nfs4

import (
	"context"
	"errors"
	"fmt"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/state"
)

// The NFSv4.1 back channel (RFC 8881 §2.10.3.1): callbacks go to the
// client over a connection it bound for them, usually its fore
// connection, through rpc.Conn's server-initiated calls. The channel has
// one slot (ca_maxrequests 1), so callbacks of a session are serialized.

var errNoBackChannel = errors.New("nfs4: no connection bound to the back channel")

// errGSSCallbacks is the callback path of a session whose client offered
// only RPCSEC_GSS for callbacks.
var errGSSCallbacks = errors.New("nfs4: only RPCSEC_GSS callbacks offered")

// cbCred is the credential of callbacks: AUTH_NONE or AUTH_SYS as the
// client offered in its callback_sec_parms4 (RPCSEC_GSS callbacks are not
// supported: the path is then down, errGSSCallbacks).
func cbCred(sec []wire.CallbackSecParms4) (rpc.OpaqueAuth, error) {
	if len(sec) == 0 {
		return rpc.OpaqueAuth{}, nil
	}
	for _, p := range sec {
		if p.CbSecflavor == rpc.AUTH_NONE {
			return rpc.OpaqueAuth{}, nil
		}
	}
	for _, p := range sec {
		if p.CbSecflavor == rpc.AUTH_SYS {
			s := p.SysCred
			return rpc.EncodeAuthSys(s.Stamp, s.Machinename, s.UID, s.GID, s.Gids), nil
		}
	}
	return rpc.OpaqueAuth{}, errGSSCallbacks
}

// cbCompoundArgs is a CB_COMPOUND request.
type cbCompoundArgs struct {
	ops []wire.NfsCbArgop4
}

func (a *cbCompoundArgs) MarshalXDR(e *xdr.Encoder) {
	h := wire.CB_COMPOUND4argsHead{Minorversion: 1, NumOps: uint32(len(a.ops))}
	h.MarshalXDR(e)
	for i := range a.ops {
		a.ops[i].MarshalXDR(e)
	}
}

func (a *cbCompoundArgs) SizeXDR() int {
	h := wire.CB_COMPOUND4argsHead{Minorversion: 1, NumOps: uint32(len(a.ops))}
	n := h.SizeXDR()
	for i := range a.ops {
		n += a.ops[i].SizeXDR()
	}
	return n
}

// cbCompoundRes is a CB_COMPOUND reply, with at most maxCbResults
// results decoded.
type cbCompoundRes struct {
	Status wire.Nfsstat4
	Res    []wire.NfsCbResop4
}

const maxCbResults = 16

func (r *cbCompoundRes) UnmarshalXDR(d *xdr.Decoder) {
	var h wire.CB_COMPOUND4resHead
	h.UnmarshalXDR(d)
	r.Status = h.Status
	for i := uint32(0); i < h.NumResults && i < maxCbResults && d.Err() == nil; i++ {
		var op wire.NfsCbResop4
		op.UnmarshalXDR(d)
		r.Res = append(r.Res, op)
	}
}

// cbCompound sends CB_COMPOUND {CB_SEQUENCE, ops...} over the session's
// back channel and returns the results after CB_SEQUENCE's. The slot's
// sequence id advances when the client answered CB_SEQUENCE.
func (s *Server) cbCompound(ctx context.Context, ss *state.Session, ops ...wire.NfsCbArgop4) (*cbCompoundRes, error) {
	conn := ss.BackConn()
	if conn == nil {
		return nil, errNoBackChannel
	}
	prog, cred, err := ss.Callback()
	if err != nil {
		return nil, err
	}
	seq, release := ss.BackSlot()
	advance := false
	defer func() { release(advance) }()
	all := append([]wire.NfsCbArgop4{{Argop: wire.OP_CB_SEQUENCE, Sequence: wire.CB_SEQUENCE4args{
		Sessionid: wire.Sessionid4(ss.ID()), Sequenceid: wire.Sequenceid4(seq)}}}, ops...)
	var res cbCompoundRes
	if err := conn.Call(ctx, prog, 1, wire.CB_COMPOUND, cred, &cbCompoundArgs{ops: all}, &res); err != nil {
		return nil, err
	}
	if len(res.Res) == 0 || res.Res[0].Resop != wire.OP_CB_SEQUENCE {
		return &res, fmt.Errorf("nfs4: CB_COMPOUND answered %v without CB_SEQUENCE", res.Status)
	}
	if st := res.Res[0].Sequence.Status; st != wire.NFS4ERR_SEQ_MISORDERED && st != wire.NFS4ERR_BADSESSION {
		advance = true
	}
	if st := res.Res[0].Sequence.Status; st != wire.NFS4_OK {
		return &res, fmt.Errorf("nfs4: CB_SEQUENCE: %v", st)
	}
	res.Res = res.Res[1:]
	return &res, nil
}

// cbNull sends CB_NULL over the session's back channel.
func (s *Server) cbNull(ctx context.Context, ss *state.Session) error {
	conn := ss.BackConn()
	if conn == nil {
		return errNoBackChannel
	}
	prog, cred, err := ss.Callback()
	if err != nil {
		return err
	}
	return conn.Call(ctx, prog, 1, wire.CB_NULL, cred, nil, nil)
}

// probeBack checks the back channel with CB_NULL (as Linux nfsd does) and
// records the outcome: SEQUENCE reports SEQ4_STATUS_CB_PATH_DOWN while it
// is down, and the client binds a connection again.
func (s *Server) probeBack(ss *state.Session) {
	if s.NoCallbacks {
		ss.SetCallbackDown(true)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callbackProbeTimeout)
	defer cancel()
	err := s.cbNull(ctx, ss)
	ss.SetCallbackDown(err != nil)
	if err != nil {
		s.logs.Debug(s.log, "nfs4: back channel down", "clientid", fmt.Sprintf("%016x", ss.ClientID()), "err", err)
	}
}
