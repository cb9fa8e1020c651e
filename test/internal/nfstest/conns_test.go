package nfstest

import (
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// compound encodes COMPOUND4args of minor version minor with the given
// operations, each an opcode followed by its encoded arguments.
func compound(minor uint32, ops ...func(e *xdr.Encoder)) []byte {
	e := xdr.NewEncoder(nil)
	e.String("tag")
	e.Uint32(minor)
	e.Uint32(uint32(len(ops)))
	for _, op := range ops {
		op(e)
	}
	return e.Bytes()
}

var testSession = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

func sequence(e *xdr.Encoder) { seq(e, false) }

func seq(e *xdr.Encoder, cacheThis bool) {
	e.Uint32(OpSequence)
	e.FixedOpaque(testSession[:])
	e.Uint32(7) // sequence id
	e.Uint32(3) // slot
	e.Uint32(0)
	e.Bool(cacheThis)
}

func putfh(e *xdr.Encoder) {
	e.Uint32(OpPutFH)
	e.Opaque([]byte("a file handle"))
}

// open encodes OPEN with opentype (0 NOCREATE, 1 CREATE UNCHECKED4 with
// a mode attribute) and claim.
func open(opentype, claim uint32) func(e *xdr.Encoder) {
	return func(e *xdr.Encoder) {
		e.Uint32(OpOpen)
		e.Uint32(0)
		e.Uint32(2)
		e.Uint32(0)
		e.Uint64(0x1234)
		e.Opaque([]byte("open owner"))
		e.Uint32(opentype)
		if opentype == 1 {
			e.Uint32(0) // UNCHECKED4
			e.Uint32(2) // bitmap of two words
			e.Uint32(0)
			e.Uint32(1 << 1) // mode
			e.Opaque([]byte{0, 0, 1, 0xa4})
		}
		e.Uint32(claim)
		e.String("name")
	}
}

func lock(reclaim bool) func(e *xdr.Encoder) {
	return func(e *xdr.Encoder) {
		e.Uint32(OpLock)
		e.Uint32(2) // WRITE_LT
		e.Bool(reclaim)
		e.Uint64(0)
		e.Uint64(1)
	}
}

func getattr(e *xdr.Encoder) {
	e.Uint32(OpGetattr)
	e.Uint32(2)
	e.Uint32(1 << 1)
	e.Uint32(1 << 3)
}

func op(n uint32) func(e *xdr.Encoder) { return func(e *xdr.Encoder) { e.Uint32(n) } }

func TestDecodeCompound(t *testing.T) {
	tests := []struct {
		name string
		args []byte
		want compoundInfo
	}{
		{"reclaim complete", compound(1, func(e *xdr.Encoder) { seq(e, true) }, op(OpReclaimComplete)), compoundInfo{testSession, true, 3, 7, true, OpReclaimComplete, false}},
		{"open claim previous", compound(1, sequence, putfh, open(0, claimPrevious)), compoundInfo{testSession, true, 3, 7, false, OpOpen, true}},
		{"open create claim null", compound(1, sequence, putfh, open(1, 0)), compoundInfo{testSession, true, 3, 7, false, OpOpen, false}},
		{"reclaim lock", compound(1, sequence, putfh, lock(true)), compoundInfo{testSession, true, 3, 7, false, OpLock, true}},
		{"lock", compound(1, sequence, putfh, lock(false)), compoundInfo{testSession, true, 3, 7, false, OpLock, false}},
		{"bind conn", compound(1, func(e *xdr.Encoder) { e.Uint32(OpBindConnToSession); e.FixedOpaque(testSession[:]) }), compoundInfo{testSession, true, 0, 0, false, OpBindConnToSession, false}},
		{"getattr close", compound(1, sequence, putfh, getattr, op(OpClose)), compoundInfo{testSession, true, 3, 7, false, OpClose, false}},
		{"getattr", compound(1, sequence, putfh, getattr), compoundInfo{testSession, true, 3, 7, false, OpGetattr, false}},
		{"no session", compound(1, op(42)), compoundInfo{op: 42}},
		{"sequence only", compound(1, sequence), compoundInfo{session: testSession, hasSession: true, slot: 3, seqid: 7}},
		{"minor version 0", compound(0, putfh, op(OpReclaimComplete)), compoundInfo{}},
		{"truncated", compound(1, sequence, putfh, open(0, claimPrevious))[:60], compoundInfo{}},
		{"empty", nil, compoundInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeCompound(tt.args); got != tt.want {
				t.Errorf("decodeCompound = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeCompound(f *testing.F) {
	f.Add(compound(1, sequence, putfh, open(1, 0)))
	f.Add(compound(1, sequence, putfh, lock(true)))
	f.Add(compound(1, sequence, op(OpReclaimComplete)))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		info := decodeCompound(b)
		if info.reclaim && info.op != OpOpen && info.op != OpLock {
			t.Errorf("reclaim set for op %d", info.op)
		}
	})
}
