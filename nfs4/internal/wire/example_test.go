package wire_test

import (
	"encoding/hex"
	"fmt"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// A COMPOUND is decoded one operation at a time, and its reply is built
// the same way, with the head patched at the end.
func Example() {
	// PUTROOTFH, GETFH, LOOKUP "export" from a 4.0 client.
	e := new(xdr.Encoder)
	(&wire.COMPOUND4argsHead{Tag: "mount", NumOps: 3}).MarshalXDR(e)
	e.Uint32(uint32(wire.OP_PUTROOTFH))
	e.Uint32(uint32(wire.OP_GETFH))
	e.Uint32(uint32(wire.OP_LOOKUP))
	(&wire.LOOKUP4args{Objname: "export"}).MarshalXDR(e)
	call := e.Bytes()

	d := xdr.NewDecoder(call)
	var head wire.COMPOUND4argsHead
	head.UnmarshalXDR(d)
	reply := new(xdr.Encoder)
	res := wire.COMPOUND4resHead{Status: wire.NFS4_OK, Tag: head.Tag}
	res.MarshalXDR(reply)
	for range head.NumOps {
		op := wire.NfsOpnum4(d.Uint32())
		reply.Uint32(uint32(op))
		switch op {
		case wire.OP_PUTROOTFH:
			res.Status = wire.NFS4_OK
			(&wire.PUTROOTFH4res{Status: res.Status}).MarshalXDR(reply)
		case wire.OP_GETFH:
			res.Status = wire.NFS4_OK
			(&wire.GETFH4res{Status: res.Status, Resok4: wire.GETFH4resok{Object: []byte{1, 2, 3, 4}}}).MarshalXDR(reply)
		case wire.OP_LOOKUP:
			var args wire.LOOKUP4args
			args.UnmarshalXDR(d)
			fmt.Println(op, args.Objname, d.Err())
			res.Status = wire.NFS4ERR_NOENT
			(&wire.LOOKUP4res{Status: res.Status}).MarshalXDR(reply)
		}
		res.NumResults++
		if res.Status != wire.NFS4_OK {
			break
		}
	}
	res.Patch(reply, 0)
	fmt.Println(res.Status, res.NumResults)
	fmt.Println(hex.EncodeToString(reply.Bytes()[:16]))
	// Output:
	// OP_LOOKUP export <nil>
	// NFS4ERR_NOENT 3
	// 00000002000000056d6f756e74000000
}
