package wire

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// TestHostileCountsDoNotAllocate feeds lengths and counts of up to 2^32-1
// with little or no data behind them: each is refused before anything is
// allocated.
func TestHostileCountsDoNotAllocate(t *testing.T) {
	const huge = 0xffffffff
	for _, tc := range []struct {
		name string
		b    []byte
		v    xdr.Unmarshaler
		err  error
	}{
		{"TEST_STATEID count 2^32-1", w(huge), new(TEST_STATEID4args), xdr.ErrTooLong},
		{"TEST_STATEID count 1000, no data", w(1000), new(TEST_STATEID4args), xdr.ErrShortBuffer},
		{"bitmap4 of 65 words", w(MaxBitmapWords + 1), new(GETATTR4args), xdr.ErrTooLong},
		{"bitmap4 of 64 words, no data", w(MaxBitmapWords), new(GETATTR4args), xdr.ErrShortBuffer},
		{"GETATTR op, bitmap count 2^32-1", cat(w(uint32(OP_GETATTR)), w(huge)), new(NfsArgop4), xdr.ErrTooLong},
		{"nfs_fh4 of 129 bytes", cat(w(NFS4_FHSIZE+1), make([]byte, 132)), new(PUTFH4args), xdr.ErrTooLong},
		{"component4 of 2^32-1 bytes", w(huge), new(LOOKUP4args), xdr.ErrTooLong},
		{"component4 over MaxComponent", cat(w(MaxComponent+1), make([]byte, MaxComponent+4)), new(LOOKUP4args), xdr.ErrTooLong},
		{"component4 of 1000 bytes, 4 sent", cat(w(1000), w(0)), new(REMOVE4args), xdr.ErrShortBuffer},
		{"tag of 2^32-1 bytes", w(huge), new(COMPOUND4argsHead), xdr.ErrTooLong},
		{"attrlist4 over MaxAttrList", cat(w(0), w(MaxAttrList+1)), new(VERIFY4args), xdr.ErrTooLong},
		{"WRITE data of 2^32-1 bytes", cat(make([]byte, 16+8+4), w(huge)), new(WRITE4args), xdr.ErrTooLong},
		{"WRITE data longer than the record", cat(make([]byte, 16+8+4), w(1<<20)), new(WRITE4args), xdr.ErrShortBuffer},
		{"ACL of 2^32-1 ACEs", w(huge), new(Fattr4Acl), xdr.ErrTooLong},
		{"ACL of 4096 ACEs, no data", w(MaxACEs), new(Fattr4Acl), xdr.ErrShortBuffer},
		{"pathname4 of 2^32-1 components", w(huge), new(FsLocations4), xdr.ErrTooLong},
		{"CREATE_SESSION sec_parms 2^32-1", cat(make([]byte, 8+4+4+2*28), w(0), w(huge)), new(CREATE_SESSION4args), xdr.ErrTooLong},
		{"EXCHANGE_ID impl id <1> of 2", cat(make([]byte, 8), w(0), w(0), w(uint32(SP4_NONE)), w(2)), new(EXCHANGE_ID4args), xdr.ErrTooLong},
		{"CB_SEQUENCE referring lists 2^32-1", cat(make([]byte, 16+12), w(0), w(huge)), new(CB_SEQUENCE4args), xdr.ErrTooLong},
		{"READ_PLUS segments 2^32-1", cat(w(0), w(0), w(huge)), new(READ_PLUS4res), xdr.ErrTooLong},
		{"LISTXATTRS names 2^32-1", cat(w(0), h(0), w(huge)), new(LISTXATTRS4res), xdr.ErrTooLong},
		{"SECINFO flavors 2^32-1", cat(w(0), w(huge)), new(SECINFO4res), xdr.ErrTooLong},
	} {
		var err error
		allocs := testing.AllocsPerRun(20, func() {
			d := xdr.NewDecoder(tc.b)
			tc.v.UnmarshalXDR(d)
			err = d.Err()
		})
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
		}
		// NewDecoder itself may escape; nothing else may allocate.
		if allocs > 1 {
			t.Errorf("%s: %v allocations", tc.name, allocs)
		}
	}
}

// TestHostileDirlistMemory decodes a READDIR reply of a megabyte of
// minimal entries: memory stays within a fixed multiple of the record, and
// one entry more than MaxDirEntries is refused. The multiple is the worst
// of the package: a minimal entry4 is 24 bytes on the wire and 72 in Go,
// and the linked list grows its slice by appending (about 15x in all).
func TestHostileDirlistMemory(t *testing.T) {
	entry := cat(w(1), h(0), w(0), w(0), w(0)) // follows, cookie, "", empty fattr4
	build := func(n int) []byte {
		b := cat(w(uint32(NFS4_OK)), make([]byte, 8)) // status, cookieverf
		b = append(b, bytes.Repeat(entry, n)...)
		return append(b, cat(w(0), w(1))...)
	}
	rec := build(1 << 20 / len(entry))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var res READDIR4res
	if err := xdr.Unmarshal(rec, &res); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 24*uint64(len(rec)) {
		t.Fatalf("decoding %d bytes allocated %d", len(rec), got)
	}
	if len(res.Resok4.Reply.Entries) != 1<<20/len(entry) {
		t.Fatalf("%d entries", len(res.Resok4.Reply.Entries))
	}
	if err := xdr.Unmarshal(build(MaxDirEntries+1), &res); !errors.Is(err, xdr.ErrTooLong) {
		t.Fatalf("MaxDirEntries+1 entries: %v", err)
	}
}

// TestHostileCompoundOps is a compound that claims 2^32-1 operations but
// holds three: decoding op by op stops at the end of the record with a
// short buffer after the real ones, having allocated only for them.
func TestHostileCompoundOps(t *testing.T) {
	rec := cat(w(0), w(1), w(0xffffffff),
		w(uint32(OP_PUTROOTFH)), w(uint32(OP_GETFH)), w(uint32(OP_SAVEFH)))
	d := xdr.NewDecoder(rec)
	var head COMPOUND4argsHead
	head.UnmarshalXDR(d)
	n := 0
	for i := uint32(0); i < head.NumOps && d.Err() == nil; i++ {
		var a NfsArgop4
		a.UnmarshalXDR(d)
		if d.Err() == nil {
			n++
		}
	}
	if n != 3 || !errors.Is(d.Err(), xdr.ErrShortBuffer) {
		t.Fatalf("decoded %d ops, err %v", n, d.Err())
	}
}
