package nfs4

import (
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// drcProgram is a program over a server with the default limits, for
// the duplicate-cache classification's fuzz target and benchmark.
func drcProgram() program {
	s := &Server{}
	s.init()
	return program{s}
}

// FuzzNonIdempotentCall: the duplicate cache's classification decodes
// a COMPOUND's arguments from the network before the server runs it. On
// any bytes it must not panic, must not consume the call's arguments, and
// never keeps a compound that is not 4.0.
func FuzzNonIdempotentCall(f *testing.F) {
	for _, ops := range [][]wire.NfsArgop4{
		{putrootfh(), lookup("export"), remove("x")},
		{putfh([]byte{1, 2, 3}), mkdir("d"), getfh()},
		{putfh([]byte{1}), savefh(), rename("a", "b")},
		{putfh([]byte{1}), read(0, 4096), getattr(wire.FATTR4_SIZE)},
		{putfh([]byte{1}), write(0, make([]byte, 64))},
	} {
		f.Add(xdr.Marshal(&compoundArgs{tag: "fuzz", ops: ops}))
		f.Add(xdr.Marshal(&compoundArgs{tag: "fuzz", minor: 1, ops: ops}))
	}
	p := drcProgram()
	f.Fuzz(func(t *testing.T, args []byte) {
		c := &rpc.Call{Prog: NFSProgram, Vers: NFSVersion, Proc: 1, Args: xdr.NewDecoder(args)}
		keep := p.NonIdempotentCall(c)
		if c.Args.Offset() != 0 {
			t.Fatal("the classification consumed the arguments")
		}
		var head wire.COMPOUND4argsHead
		d := xdr.NewDecoder(args)
		head.UnmarshalXDR(d)
		if keep && (d.Err() != nil || head.Minorversion != 0) {
			t.Fatalf("kept a compound of minor version %d (%v)", head.Minorversion, d.Err())
		}
	})
}

// BenchmarkNonIdempotentCall is the classification's cost on every 4.0
// COMPOUND the server receives with a duplicate cache: the Linux client's
// PUTFH + WRITE 4 KiB + GETATTR.
func BenchmarkNonIdempotentCall(b *testing.B) {
	p := drcProgram()
	args := xdr.Marshal(&compoundArgs{tag: "bench", ops: []wire.NfsArgop4{
		putfh(make([]byte, 32)), write(0, make([]byte, 4096)), getattr(wire.FATTR4_SIZE, wire.FATTR4_CHANGE)}})
	b.ReportAllocs()
	for b.Loop() {
		if p.NonIdempotentCall(&rpc.Call{Prog: NFSProgram, Vers: NFSVersion, Proc: 1, Args: xdr.NewDecoder(args)}) {
			b.Fatal("WRITE kept")
		}
	}
}
