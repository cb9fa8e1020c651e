package wire

import (
	"testing"
	"unsafe"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// TestWriteDataAliases checks that WRITE3args.Data points into the call
// record, so the written bytes are copied only by the store.
func TestWriteDataAliases(t *testing.T) {
	rec := xdr.Marshal(&WRITE3args{File: NFSFH3{Data: make([]byte, 32)}, Count: 5, Data: []byte("hello")})
	var a WRITE3args
	if err := xdr.Unmarshal(rec, &a); err != nil {
		t.Fatal(err)
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(a.Data)))
	lo, hi := uintptr(unsafe.Pointer(&rec[0])), uintptr(unsafe.Pointer(&rec[len(rec)-1]))
	if string(a.Data) != "hello" || p < lo || p > hi {
		t.Fatal("WRITE3args.Data does not alias the record")
	}
	if n := testing.AllocsPerRun(100, func() {
		var a WRITE3args
		xdr.Unmarshal(rec, &a)
	}); n != 0 {
		t.Fatalf("decoding WRITE3args allocates %v times", n)
	}
}

// TestFattr3Size checks fattr3 is 84 bytes (RFC 1813 §2.6), which the
// READDIRPLUS size accounting relies on.
func TestFattr3Size(t *testing.T) {
	var f Fattr3
	if n := f.SizeXDR(); n != 84 {
		t.Fatalf("fattr3 is %d bytes", n)
	}
	var p PostOpFH3
	p.HandleFollows = true
	p.Handle.Data = make([]byte, 32)
	if n := p.SizeXDR(); n != 4+4+32 {
		t.Fatalf("post_op_fh3 with a 32-byte handle is %d bytes", n)
	}
}
