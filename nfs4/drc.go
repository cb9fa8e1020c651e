package nfs4

import (
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// NonIdempotentCall tells the RPC server's duplicate request cache
// (rpc.DuplicateCache) which calls to keep the reply of: an NFSv4.0
// COMPOUND with an operation that must not run twice and has no seqid to
// catch a retransmission (CREATE, REMOVE, RENAME, LINK, SETATTR, and
// SETCLIENTID, for which RFC 7530 §16.33 assumes the cache). A
// retransmission with the same xid then gets the first reply instead of
// NFS4ERR_EXIST or NFS4ERR_NOENT. The seqid operations have their
// owners' replay cache (§9.1.7), and NFSv4.1 compounds the session's
// (SEQUENCE gives exactly-once semantics, RFC 8881 §2.10.6): they are not
// kept here.
func (p program) NonIdempotentCall(c *rpc.Call) bool {
	if c.Proc != 1 {
		return false
	}
	var d xdr.Decoder
	d.Reset(c.Args.Rest())
	var head wire.COMPOUND4argsHead
	head.UnmarshalXDR(&d)
	if d.Err() != nil || head.Minorversion != 0 {
		return false
	}
	var op wire.NfsArgop4
	for i := uint32(0); i < head.NumOps && int(i) < p.s.MaxOps; i++ {
		op.UnmarshalXDR(&d)
		if d.Err() != nil {
			return false
		}
		switch op.Argop {
		case wire.OP_CREATE, wire.OP_REMOVE, wire.OP_RENAME, wire.OP_LINK, wire.OP_SETATTR, wire.OP_SETCLIENTID:
			return true
		}
	}
	return false
}
