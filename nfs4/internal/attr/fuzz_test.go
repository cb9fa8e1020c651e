package attr

import (
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// fuzzSeeds are fattr4s (bitmap4 then attrlist4, as on the wire): good
// SETATTR and VERIFY arguments and a few broken ones.
func fuzzSeeds() [][]byte {
	fattr := func(mask wire.Bitmap4, v []byte) []byte {
		f := wire.Fattr4{Attrmask: mask, AttrVals: v}
		return xdr.Marshal(&f)
	}
	e := xdr.NewEncoder(nil)
	Encode(e, allBits, testObject(), &Config{Minor: 2})
	all := append([]byte(nil), e.Bytes()...)
	return [][]byte{
		fattr(nil, nil),
		fattr(bm(wire.FATTR4_SIZE, wire.FATTR4_MODE), vals(uint64(0), 0o644)),
		fattr(bm(wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP), vals("1000", "alice@example.com")),
		fattr(bm(wire.FATTR4_TIME_ACCESS_SET, wire.FATTR4_TIME_MODIFY_SET), vals(0, 1, int64(-5), 7)),
		fattr(bm(wire.FATTR4_TIME_CREATE), vals(int64(1), 2_000_000_000)),
		fattr(bm(wire.FATTR4_SUPPORTED_ATTRS, wire.FATTR4_FILEHANDLE), vals(2, 1, 2, 3, []byte{1, 2, 3, 0})),
		fattr(wire.Bitmap4{0, 0, 1 << 23}, vals(0)),
		fattr(bm(wire.FATTR4_SIZE), vals(1)),
		all,
	}
}

// fuzzFattr decodes b as a fattr4 the way the server does; false if it
// does not decode.
func fuzzFattr(b []byte) (wire.Fattr4, bool) {
	var f wire.Fattr4
	d := xdr.NewDecoder(b)
	f.UnmarshalXDR(d)
	return f, d.Err() == nil
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, b []byte, minor uint8) {
		fa, ok := fuzzFattr(b)
		if !ok {
			return
		}
		for _, mp := range []IDMapper{nil, testMapper} {
			c := &Config{Minor: uint32(minor % 4), Mapper: mp}
			sa, set, st := Decode(&fa, c)
			if st != wire.NFS4_OK {
				if set != nil || sa.Mask != 0 {
					t.Fatalf("%v with set %x, mask %x", st, set, sa.Mask)
				}
				continue
			}
			// What was accepted is writable, and set is the mask.
			w := Writable(c.Minor)
			for n, ok := set.Next(0); ok; n, ok = set.Next(n + 1) {
				if !w.IsSet(n) || !fa.Attrmask.IsSet(n) {
					t.Fatalf("set has %d", n)
				}
			}
			if sa.Mode&^0o7777 != 0 {
				t.Fatalf("mode %o accepted", sa.Mode)
			}
		}
	})
}

func FuzzCompare(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, b []byte, minor uint8) {
		fa, ok := fuzzFattr(b)
		if !ok {
			return
		}
		o := testObject()
		for _, mp := range []IDMapper{nil, testMapper} {
			c := &Config{Minor: uint32(minor % 4), LeaseTime: 90, Mapper: mp}
			same, st := Compare(&fa, o, c)
			if st != wire.NFS4_OK && same {
				t.Fatalf("same with status %v", st)
			}
			if st != wire.NFS4_OK {
				continue
			}
			// Same means what Encode writes of the mask, except owners
			// and bitmaps, which compare by meaning.
			if !same {
				continue
			}
			e := xdr.NewEncoder(nil)
			Encode(e, fa.Attrmask, o, c)
			var g wire.Fattr4
			if err := xdr.Unmarshal(e.Bytes(), &g); err != nil {
				t.Fatal(err)
			}
			if len(g.AttrVals) != len(fa.AttrVals) && !hasLoose(fa.Attrmask) {
				t.Fatalf("same, but %d bytes against Encode's %d", len(fa.AttrVals), len(g.AttrVals))
			}
		}
	})
}

// hasLoose reports whether m has an attribute Compare matches by
// meaning rather than bytes.
func hasLoose(m wire.Bitmap4) bool {
	for _, n := range []uint32{wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP, wire.FATTR4_SUPPORTED_ATTRS, wire.FATTR4_SUPPATTR_EXCLCREAT} {
		if m.IsSet(n) {
			return true
		}
	}
	return false
}
