package store

import (
	"bytes"
	"testing"
)

// The decoders of stored records must reject any corruption with an error,
// never panic, and round-trip what the encoders produce.

func FuzzDecodeInode(f *testing.F) {
	n := inode{Type: TypeSymlink, Mode: 0o777, Nlink: 1, Size: 3, Target: []byte("abc"), Gen: 7}
	f.Add(n.encode(nil))
	d := inode{Type: TypeDir, Mode: 0o755, Nlink: 2, Parent: 1, NextCookie: firstCookie, Entries: 4}
	f.Add(d.encode(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var n inode
		if err := decodeInode(b, &n); err != nil {
			if CodeOf(err) != CodeIO {
				t.Fatalf("code %v", CodeOf(err))
			}
			return
		}
		if e := n.encode(nil); !bytes.Equal(e, b) {
			t.Fatalf("round trip: %x != %x", e, b)
		}
	})
}

func FuzzDecodeRecords(f *testing.F) {
	e := entry{Child: 5, Cookie: 9, Type: TypeRegular}
	x := extent{Start: 10, End: 20, Off: 3, Block: BlockID{1}}
	xk := appendKeyID(nil, pfxExtent, 4)
	xk = be.AppendUint64(xk, 20)
	sb := super{NextID: 10, Root: 1}
	f.Add(e.encode(nil), xk, x.encode(nil))
	f.Add(encodeCookieVal(nil, 3, TypeDir, "name"), []byte{}, blockRec{1, 10}.encode(nil))
	f.Add(sb.encode(nil), []byte("k"), usage{1, 2}.encode(nil))
	f.Fuzz(func(t *testing.T, a, k, v []byte) {
		check := func(err error) {
			if err != nil && CodeOf(err) != CodeIO {
				t.Fatalf("code %v", CodeOf(err))
			}
		}
		for _, b := range [][]byte{a, v} {
			_, err := decodeEntry(b)
			check(err)
			_, _, _, err = decodeCookieVal(b)
			check(err)
			_, err = decodeBlockRec(b)
			check(err)
			_, err = decodeSuper(b)
			check(err)
			_, err = decodeUsage(b)
			check(err)
			_, err = inodeGen(b)
			check(err)
		}
		var x extent
		if err := decodeExtent(k, v, &x); err == nil {
			if x.Start >= x.End {
				t.Fatal("empty extent accepted")
			}
			if !bytes.Equal(x.encode(nil), v) {
				t.Fatal("extent round trip")
			}
		} else {
			check(err)
		}
	})
}
