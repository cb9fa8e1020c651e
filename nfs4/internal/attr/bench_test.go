package attr

import (
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// linuxGetattr is the mask the Linux client sends in the GETATTR that
// follows a WRITE (nfs4_fattr_bitmap): type, change, size, fsid,
// fileid; mode, numlinks, owner, owner_group, rawdev, space_used,
// time_access, time_metadata, time_modify, mounted_on_fileid.
var linuxGetattr = wire.Bitmap4{0x0010011a, 0x00b0a23a}

func BenchmarkEncodeLinuxGetattr(b *testing.B) {
	e := xdr.NewEncoder(make([]byte, 0, 4096))
	o := testObject()
	o.Attr.UID, o.Attr.GID = 123456, 654321 // beyond strconv's small-number cache
	c := &Config{Minor: 1, LeaseTime: 90}
	b.ReportAllocs()
	for b.Loop() {
		e.Truncate(0)
		Encode(e, linuxGetattr, o, c)
	}
	b.SetBytes(int64(e.Len()))
}

func BenchmarkDecodeSetattr(b *testing.B) {
	// What "touch -d" and "chmod" send: mode, owner, owner_group,
	// time_access_set and time_modify_set with client times.
	f := wire.Fattr4{
		Attrmask: bm(wire.FATTR4_MODE, wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP,
			wire.FATTR4_TIME_ACCESS_SET, wire.FATTR4_TIME_MODIFY_SET),
		AttrVals: vals(0o644, "1000", "1000", 1, int64(1_700_000_000), 5, 1, int64(1_700_000_001), 6),
	}
	c := &Config{Minor: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, st := Decode(&f, c); st != wire.NFS4_OK {
			b.Fatal(st)
		}
	}
}

func BenchmarkCompareLinuxGetattr(b *testing.B) {
	o := testObject()
	c := &Config{Minor: 1, LeaseTime: 90}
	e := xdr.NewEncoder(nil)
	Encode(e, linuxGetattr, o, c)
	var f wire.Fattr4
	if err := xdr.Unmarshal(e.Bytes(), &f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if same, st := Compare(&f, o, c); !same || st != wire.NFS4_OK {
			b.Fatal(same, st)
		}
	}
}
