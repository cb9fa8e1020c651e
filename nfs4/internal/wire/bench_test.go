package wire

import (
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// seqPutfhGetattr is the compound a 4.1 client sends most: SEQUENCE,
// PUTFH and GETATTR with the Linux attribute mask.
var seqPutfhGetattr = cat(
	w(0), w(1), w(3),
	w(uint32(OP_SEQUENCE)), sequenceGolden,
	w(uint32(OP_PUTFH)), str(string(seq(28, 1))),
	w(uint32(OP_GETATTR)), w(2), w(0x0010011a), w(0x00b0a23a),
)

// compoundArgs is what a server might keep per compound: one value per
// operation kind it decodes, reused across operations and calls.
type compoundArgs struct {
	head    COMPOUND4argsHead
	seq     SEQUENCE4args
	putfh   PUTFH4args
	getattr GETATTR4args
}

func (c *compoundArgs) decode(d *xdr.Decoder) error {
	c.head.UnmarshalXDR(d)
	for i := uint32(0); i < c.head.NumOps && d.Err() == nil; i++ {
		switch op := NfsOpnum4(d.Uint32()); op {
		case OP_SEQUENCE:
			c.seq.UnmarshalXDR(d)
		case OP_PUTFH:
			c.putfh.UnmarshalXDR(d)
		case OP_GETATTR:
			c.getattr.UnmarshalXDR(d)
		default:
			return fmt.Errorf("unexpected %v", op)
		}
	}
	return d.Err()
}

func TestCompoundArgsDecode(t *testing.T) {
	var c compoundArgs
	if err := c.decode(xdr.NewDecoder(seqPutfhGetattr)); err != nil {
		t.Fatal(err)
	}
	if c.seq != sequenceValue || len(c.putfh.Object) != 28 || !c.getattr.AttrRequest.IsSet(FATTR4_MOUNTED_ON_FILEID) {
		t.Fatalf("%+v", c)
	}
}

// BenchmarkDecodeSequencePutfhGetattr decodes the compound op by op into
// typed arguments, as the server's loop does. The one allocation is the
// GETATTR bitmap.
func BenchmarkDecodeSequencePutfhGetattr(b *testing.B) {
	var c compoundArgs
	var d xdr.Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(seqPutfhGetattr)))
	for b.Loop() {
		d.Reset(seqPutfhGetattr)
		if err := c.decode(&d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSequencePutfhGetattrUnion decodes the same compound
// through the generic NfsArgop4 union, to show what that costs.
func BenchmarkDecodeSequencePutfhGetattrUnion(b *testing.B) {
	var head COMPOUND4argsHead
	var op NfsArgop4
	var d xdr.Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(seqPutfhGetattr)))
	for b.Loop() {
		d.Reset(seqPutfhGetattr)
		head.UnmarshalXDR(&d)
		for range head.NumOps {
			op.UnmarshalXDR(&d)
		}
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
}

// readdir100 is a READDIR reply of 100 entries, each with the type,
// fileid and mode attributes (16 bytes of values).
func readdir100() *READDIR4res {
	res := &READDIR4res{Status: NFS4_OK}
	res.Resok4.Cookieverf = Verifier4{1, 2, 3, 4, 5, 6, 7, 8}
	mask := Bitmap4(nil).Set(FATTR4_TYPE).Set(FATTR4_FILEID).Set(FATTR4_MODE)
	for i := range 100 {
		vals := cat(w(uint32(NF4REG)), h(uint64(1000+i)), w(0o644))
		res.Resok4.Reply.Entries = append(res.Resok4.Reply.Entries, Entry4{
			Cookie: NfsCookie4(i + 3),
			Name:   Component4(fmt.Sprintf("file-%04d.dat", i)),
			Attrs:  Fattr4{Attrmask: mask, AttrVals: vals},
		})
	}
	res.Resok4.Reply.EOF = true
	return res
}

func TestReaddir100RoundTrip(t *testing.T) {
	res := readdir100()
	var got READDIR4res
	if err := xdr.Unmarshal(xdr.Marshal(res), &got); err != nil || len(got.Resok4.Reply.Entries) != 100 ||
		got.Resok4.Reply.Entries[99].Name != "file-0099.dat" {
		t.Fatalf("%v %+v", err, got.Resok4.Reply.Entries[99])
	}
}

// BenchmarkEncodeReaddir100 encodes a READDIR4res of 100 entries into a
// reused buffer, presized with SizeXDR.
func BenchmarkEncodeReaddir100(b *testing.B) {
	res := readdir100()
	e := xdr.NewEncoder(make([]byte, 0, res.SizeXDR()))
	b.ReportAllocs()
	b.SetBytes(int64(res.SizeXDR()))
	for b.Loop() {
		e.Reset(e.Bytes())
		e.Grow(res.SizeXDR())
		res.MarshalXDR(e)
	}
}
