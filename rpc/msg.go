package rpc

import (
	"errors"
	"fmt"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// RPCVersion is the only version of the RPC protocol (RFC 5531 §9).
const RPCVersion = 2

// Message types (RFC 5531 §9, msg_type).
const (
	CALL  = 0
	REPLY = 1
)

// Reply status (reply_stat).
const (
	MSG_ACCEPTED = 0
	MSG_DENIED   = 1
)

// AcceptStat is the status of an accepted call (accept_stat).
type AcceptStat uint32

// Accept status values.
const (
	SUCCESS       AcceptStat = 0 // RPC executed successfully
	PROG_UNAVAIL  AcceptStat = 1 // remote hasn't exported the program
	PROG_MISMATCH AcceptStat = 2 // remote can't support the version
	PROC_UNAVAIL  AcceptStat = 3 // program can't support the procedure
	GARBAGE_ARGS  AcceptStat = 4 // procedure can't decode the arguments
	SYSTEM_ERR    AcceptStat = 5 // e.g. memory allocation failure
)

var acceptStatNames = [...]string{"SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"}

func (s AcceptStat) String() string {
	if int(s) < len(acceptStatNames) {
		return acceptStatNames[s]
	}
	return fmt.Sprintf("accept_stat(%d)", uint32(s))
}

// Reject status (reject_stat).
const (
	RPC_MISMATCH = 0
	AUTH_ERROR   = 1
)

// AuthStat is why authentication failed (auth_stat, RFC 5531 §9 and RFC
// 2203 §5.3.3.3).
type AuthStat uint32

// Authentication status values.
const (
	AUTH_OK                AuthStat = 0
	AUTH_BADCRED           AuthStat = 1
	AUTH_REJECTEDCRED      AuthStat = 2
	AUTH_BADVERF           AuthStat = 3
	AUTH_REJECTEDVERF      AuthStat = 4
	AUTH_TOOWEAK           AuthStat = 5
	AUTH_INVALIDRESP       AuthStat = 6
	AUTH_FAILED            AuthStat = 7
	AUTH_KERB_GENERIC      AuthStat = 8
	AUTH_TIMEEXPIRE        AuthStat = 9
	AUTH_TKT_FILE          AuthStat = 10
	AUTH_DECODE            AuthStat = 11
	AUTH_NET_ADDR          AuthStat = 12
	RPCSEC_GSS_CREDPROBLEM AuthStat = 13
	RPCSEC_GSS_CTXPROBLEM  AuthStat = 14
)

var authStatNames = [...]string{
	"AUTH_OK", "AUTH_BADCRED", "AUTH_REJECTEDCRED", "AUTH_BADVERF", "AUTH_REJECTEDVERF",
	"AUTH_TOOWEAK", "AUTH_INVALIDRESP", "AUTH_FAILED", "AUTH_KERB_GENERIC", "AUTH_TIMEEXPIRE",
	"AUTH_TKT_FILE", "AUTH_DECODE", "AUTH_NET_ADDR", "RPCSEC_GSS_CREDPROBLEM", "RPCSEC_GSS_CTXPROBLEM",
}

func (s AuthStat) String() string {
	if int(s) < len(authStatNames) {
		return authStatNames[s]
	}
	return fmt.Sprintf("auth_stat(%d)", uint32(s))
}

// Authentication flavors (RFC 5531 §8.2, RFC 2203).
const (
	AUTH_NONE  = 0
	AUTH_SYS   = 1
	AUTH_SHORT = 2
	AUTH_DH    = 3
	RPCSEC_GSS = 6
)

// MaxAuthBytes is the largest opaque_auth body (RFC 5531 §8.2).
const MaxAuthBytes = 400

// OpaqueAuth is an opaque_auth: a flavor and up to 400 bytes of body. The
// body aliases the record it was decoded from.
type OpaqueAuth struct {
	Flavor uint32
	Body   []byte
}

func (a *OpaqueAuth) decode(d *xdr.Decoder) {
	a.Flavor = d.Uint32()
	a.Body = d.Opaque(MaxAuthBytes)
}

func (a *OpaqueAuth) encode(e *xdr.Encoder) {
	e.Uint32(a.Flavor)
	e.Opaque(a.Body)
}

// CallHeader is the fixed part of an RPC call message (call_body), after
// the xid and message type.
type CallHeader struct {
	XID     uint32
	RPCVers uint32
	Prog    uint32
	Vers    uint32
	Proc    uint32
	Cred    OpaqueAuth
	Verf    OpaqueAuth
}

// Errors of message decoding.
var (
	errNotCall  = errors.New("rpc: message is not a call")
	errNotReply = errors.New("rpc: message is not a reply")
)

// decodeCallBody decodes the call_body that follows xid and msg_type.
func (h *CallHeader) decodeCallBody(d *xdr.Decoder) {
	h.RPCVers = d.Uint32()
	h.Prog = d.Uint32()
	h.Vers = d.Uint32()
	h.Proc = d.Uint32()
	h.Cred.decode(d)
	h.Verf.decode(d)
}

// encodeCall writes a whole call header (xid, CALL, call_body).
func (h *CallHeader) encodeCall(e *xdr.Encoder) {
	e.Uint32(h.XID)
	e.Uint32(CALL)
	e.Uint32(RPCVersion)
	e.Uint32(h.Prog)
	e.Uint32(h.Vers)
	e.Uint32(h.Proc)
	h.Cred.encode(e)
	h.Verf.encode(e)
}

// ReplyError is returned by client calls whose reply was not SUCCESS: a
// denied reply or an accepted one with another status.
type ReplyError struct {
	Accepted bool
	Accept   AcceptStat // when Accepted
	Low      uint32     // PROG_MISMATCH or RPC_MISMATCH range
	High     uint32
	Auth     AuthStat // when denied with AUTH_ERROR
	Mismatch bool     // when denied with RPC_MISMATCH
}

func (e *ReplyError) Error() string {
	switch {
	case e.Accepted && e.Accept == PROG_MISMATCH:
		return fmt.Sprintf("rpc: PROG_MISMATCH (versions %d-%d)", e.Low, e.High)
	case e.Accepted:
		return "rpc: " + e.Accept.String()
	case e.Mismatch:
		return fmt.Sprintf("rpc: RPC_MISMATCH (versions %d-%d)", e.Low, e.High)
	default:
		return "rpc: AUTH_ERROR " + e.Auth.String()
	}
}

// decodeReplyBody decodes reply_body after xid and msg_type. On SUCCESS it
// returns the reply verifier and nil; the decoder is left at the results.
func decodeReplyBody(d *xdr.Decoder) (verf OpaqueAuth, err error) {
	switch d.Uint32() {
	case MSG_ACCEPTED:
		verf.decode(d)
		st := AcceptStat(d.Uint32())
		if d.Err() != nil {
			return verf, d.Err()
		}
		if st == SUCCESS {
			return verf, nil
		}
		re := &ReplyError{Accepted: true, Accept: st}
		if st == PROG_MISMATCH {
			re.Low, re.High = d.Uint32(), d.Uint32()
		}
		return verf, re
	case MSG_DENIED:
		switch d.Uint32() {
		case RPC_MISMATCH:
			re := &ReplyError{Mismatch: true}
			re.Low, re.High = d.Uint32(), d.Uint32()
			return verf, re
		case AUTH_ERROR:
			return verf, &ReplyError{Auth: AuthStat(d.Uint32())}
		}
	}
	if d.Err() != nil {
		return verf, d.Err()
	}
	return verf, xdr.ErrBadUnion
}
