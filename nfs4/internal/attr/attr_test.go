package attr

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// testObject returns an object whose every attribute has a distinct
// value, with times before and after the epoch.
func testObject() *Object {
	return &Object{
		Attr: store.Attr{
			Type: store.TypeRegular, Mode: 0o4755, Nlink: 3, UID: 1000, GID: 100,
			Size: 123456789, Used: 131072, Rdev: store.Dev{Major: 8, Minor: 17},
			ID: 42, Gen: 7,
			Atime: 1_700_000_000_123_456_789, Mtime: -1, Ctime: -1_500_000_001,
			Btime: 0, Change: 99,
		},
		FH:              []byte{1, 2, 3, 4, 5},
		Fsid:            wire.Fsid4{Major: 3, Minor: 9},
		MountedOnFileid: 0,
		Info: store.FsInfo{MaxRead: 1 << 20, MaxWrite: 1 << 19, MaxFileSize: 1 << 40,
			MaxName: 200, MaxLink: 1000, TimeDelta: 1500 * time.Millisecond,
			CasePreserving: true, NoTrunc: true, ChownRestricted: true},
		Stat: func() store.FsStat {
			return store.FsStat{TotalBytes: 1000, FreeBytes: 600, AvailBytes: 500,
				TotalFiles: 50, FreeFiles: 40, AvailFiles: 30}
		},
	}
}

// allBits is a want mask with every bit of four words.
var allBits = wire.Bitmap4{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}

// decodeFattr decodes a fattr4 with the wire package's types, one
// value per set bit, failing the test on any unknown bit, malformed
// value or trailing byte.
func decodeFattr(t *testing.T, b []byte) (wire.Bitmap4, map[uint32]any) {
	t.Helper()
	d := xdr.NewDecoder(b)
	var f wire.Fattr4
	f.UnmarshalXDR(d)
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("fattr4: %v, %d bytes left", d.Err(), d.Remaining())
	}
	vals := map[uint32]any{}
	vd := xdr.NewDecoder(f.AttrVals)
	for n, ok := f.Attrmask.Next(0); ok; n, ok = f.Attrmask.Next(n + 1) {
		var v any
		switch n {
		case wire.FATTR4_SUPPORTED_ATTRS, wire.FATTR4_SUPPATTR_EXCLCREAT:
			var x wire.Bitmap4
			x.UnmarshalXDR(vd)
			v = x
		case wire.FATTR4_TYPE:
			v = wire.NfsFtype4(vd.Uint32())
		case wire.FATTR4_FH_EXPIRE_TYPE, wire.FATTR4_ACLSUPPORT, wire.FATTR4_MAXLINK,
			wire.FATTR4_MAXNAME, wire.FATTR4_NUMLINKS:
			v = vd.Uint32()
		case wire.FATTR4_CHANGE:
			v = wire.Changeid4(vd.Uint64())
		case wire.FATTR4_LEASE_TIME:
			v = wire.NfsLease4(vd.Uint32())
		case wire.FATTR4_RDATTR_ERROR:
			v = wire.Nfsstat4(vd.Uint32())
		case wire.FATTR4_MODE:
			v = wire.Mode4(vd.Uint32())
		case wire.FATTR4_CHANGE_ATTR_TYPE:
			v = wire.ChangeAttrType4(vd.Uint32())
		case wire.FATTR4_SIZE, wire.FATTR4_FILEID, wire.FATTR4_FILES_AVAIL, wire.FATTR4_FILES_FREE,
			wire.FATTR4_FILES_TOTAL, wire.FATTR4_MAXFILESIZE, wire.FATTR4_MAXREAD, wire.FATTR4_MAXWRITE,
			wire.FATTR4_SPACE_AVAIL, wire.FATTR4_SPACE_FREE, wire.FATTR4_SPACE_TOTAL,
			wire.FATTR4_SPACE_USED, wire.FATTR4_MOUNTED_ON_FILEID:
			v = vd.Uint64()
		case wire.FATTR4_LINK_SUPPORT, wire.FATTR4_SYMLINK_SUPPORT, wire.FATTR4_NAMED_ATTR,
			wire.FATTR4_UNIQUE_HANDLES, wire.FATTR4_CANSETTIME, wire.FATTR4_CASE_INSENSITIVE,
			wire.FATTR4_CASE_PRESERVING, wire.FATTR4_CHOWN_RESTRICTED, wire.FATTR4_HOMOGENEOUS,
			wire.FATTR4_NO_TRUNC, wire.FATTR4_XATTR_SUPPORT:
			v = vd.Bool()
		case wire.FATTR4_FSID:
			var x wire.Fsid4
			x.UnmarshalXDR(vd)
			v = x
		case wire.FATTR4_FILEHANDLE:
			var x wire.NfsFh4
			x.UnmarshalXDR(vd)
			v = []byte(x)
		case wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP:
			var x wire.Utf8strMixed
			x.UnmarshalXDR(vd)
			v = string(x)
		case wire.FATTR4_RAWDEV:
			var x wire.Specdata4
			x.UnmarshalXDR(vd)
			v = x
		case wire.FATTR4_TIME_ACCESS, wire.FATTR4_TIME_CREATE, wire.FATTR4_TIME_DELTA,
			wire.FATTR4_TIME_METADATA, wire.FATTR4_TIME_MODIFY:
			var x wire.Nfstime4
			x.UnmarshalXDR(vd)
			v = x
		default:
			t.Fatalf("reply has attribute %d, which has no read-only value", n)
		}
		vals[n] = v
	}
	if vd.Err() != nil || vd.Remaining() != 0 {
		t.Fatalf("attrlist4: %v, %d bytes left", vd.Err(), vd.Remaining())
	}
	return f.Attrmask, vals
}

// expected returns the value each readable attribute of o must have,
// as decodeFattr returns it.
func expected(o *Object, c *Config) map[uint32]any {
	st := o.Stat()
	m := map[uint32]any{
		wire.FATTR4_SUPPORTED_ATTRS:   Supported(c.Minor),
		wire.FATTR4_TYPE:              wire.NF4REG,
		wire.FATTR4_FH_EXPIRE_TYPE:    uint32(wire.FH4_PERSISTENT),
		wire.FATTR4_CHANGE:            wire.Changeid4(99),
		wire.FATTR4_SIZE:              uint64(123456789),
		wire.FATTR4_LINK_SUPPORT:      true,
		wire.FATTR4_SYMLINK_SUPPORT:   true,
		wire.FATTR4_NAMED_ATTR:        false,
		wire.FATTR4_FSID:              wire.Fsid4{Major: 3, Minor: 9},
		wire.FATTR4_UNIQUE_HANDLES:    true,
		wire.FATTR4_LEASE_TIME:        wire.NfsLease4(c.LeaseTime),
		wire.FATTR4_RDATTR_ERROR:      wire.NFS4_OK,
		wire.FATTR4_ACLSUPPORT:        uint32(0),
		wire.FATTR4_CANSETTIME:        true,
		wire.FATTR4_CASE_INSENSITIVE:  false,
		wire.FATTR4_CASE_PRESERVING:   true,
		wire.FATTR4_CHOWN_RESTRICTED:  true,
		wire.FATTR4_FILEHANDLE:        []byte{1, 2, 3, 4, 5},
		wire.FATTR4_FILEID:            uint64(42),
		wire.FATTR4_FILES_AVAIL:       st.AvailFiles,
		wire.FATTR4_FILES_FREE:        st.FreeFiles,
		wire.FATTR4_FILES_TOTAL:       st.TotalFiles,
		wire.FATTR4_HOMOGENEOUS:       true,
		wire.FATTR4_MAXFILESIZE:       uint64(1 << 40),
		wire.FATTR4_MAXLINK:           uint32(1000),
		wire.FATTR4_MAXNAME:           uint32(200),
		wire.FATTR4_MAXREAD:           uint64(1 << 20),
		wire.FATTR4_MAXWRITE:          uint64(1 << 19),
		wire.FATTR4_MODE:              wire.Mode4(0o4755),
		wire.FATTR4_NO_TRUNC:          true,
		wire.FATTR4_NUMLINKS:          uint32(3),
		wire.FATTR4_OWNER:             "1000",
		wire.FATTR4_OWNER_GROUP:       "100",
		wire.FATTR4_RAWDEV:            wire.Specdata4{Specdata1: 8, Specdata2: 17},
		wire.FATTR4_SPACE_AVAIL:       st.AvailBytes,
		wire.FATTR4_SPACE_FREE:        st.FreeBytes,
		wire.FATTR4_SPACE_TOTAL:       st.TotalBytes,
		wire.FATTR4_SPACE_USED:        uint64(131072),
		wire.FATTR4_TIME_ACCESS:       wire.Nfstime4{Seconds: 1_700_000_000, Nseconds: 123_456_789},
		wire.FATTR4_TIME_CREATE:       wire.Nfstime4{},
		wire.FATTR4_TIME_DELTA:        wire.Nfstime4{Seconds: 1, Nseconds: 500_000_000},
		wire.FATTR4_TIME_METADATA:     wire.Nfstime4{Seconds: -2, Nseconds: 499_999_999},
		wire.FATTR4_TIME_MODIFY:       wire.Nfstime4{Seconds: -1, Nseconds: 999_999_999},
		wire.FATTR4_MOUNTED_ON_FILEID: uint64(42),
	}
	if c.Minor >= 1 {
		m[wire.FATTR4_SUPPATTR_EXCLCREAT] = Writable(c.Minor)
	}
	if c.Minor >= 2 {
		m[wire.FATTR4_CHANGE_ATTR_TYPE] = wire.NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR
		m[wire.FATTR4_XATTR_SUPPORT] = true
	}
	return m
}

func TestEncodeRoundTrip(t *testing.T) {
	for minor := uint32(0); minor <= 3; minor++ {
		c := &Config{Minor: minor, LeaseTime: 90}
		o := testObject()
		e := xdr.NewEncoder(nil)
		Encode(e, allBits, o, c)
		got, vals := decodeFattr(t, e.Bytes())
		readable := Supported(minor)
		readable.Clear(wire.FATTR4_TIME_ACCESS_SET)
		readable.Clear(wire.FATTR4_TIME_MODIFY_SET)
		if !slices.Equal(got, readable) {
			t.Errorf("minor %d: reply mask %x, want Supported less the set-only %x", minor, got, readable)
		}
		want := expected(o, c)
		for n, v := range want {
			if !reflect.DeepEqual(vals[n], v) {
				t.Errorf("minor %d: attribute %d = %#v, want %#v", minor, n, vals[n], v)
			}
		}
		for n := range vals {
			if _, ok := want[n]; !ok {
				t.Errorf("minor %d: attribute %d returned but not expected", minor, n)
			}
		}
	}
}

// TestEncodeEach encodes every supported attribute alone, so that each
// value's length is checked apart from its neighbours.
func TestEncodeEach(t *testing.T) {
	for minor := uint32(0); minor <= 2; minor++ {
		c := &Config{Minor: minor, LeaseTime: 45}
		o := testObject()
		want := expected(o, c)
		sup := Supported(minor)
		for n, ok := sup.Next(0); ok; n, ok = sup.Next(n + 1) {
			if n == wire.FATTR4_TIME_ACCESS_SET || n == wire.FATTR4_TIME_MODIFY_SET {
				e := xdr.NewEncoder(nil)
				Encode(e, wire.Bitmap4(nil).Set(n), o, c)
				if got, _ := decodeFattr(t, e.Bytes()); len(got) != 0 {
					t.Errorf("set-only attribute %d answered: mask %x", n, got)
				}
				continue
			}
			e := xdr.NewEncoder(nil)
			Encode(e, wire.Bitmap4(nil).Set(n), o, c)
			_, vals := decodeFattr(t, e.Bytes())
			if len(vals) != 1 || !reflect.DeepEqual(vals[n], want[n]) {
				t.Errorf("minor %d attribute %d alone: %#v, want %#v", minor, n, vals, want[n])
			}
		}
	}
}

func TestEncodeVariants(t *testing.T) {
	types := []struct {
		t    store.FileType
		want wire.NfsFtype4
	}{
		{store.TypeRegular, wire.NF4REG}, {store.TypeDir, wire.NF4DIR}, {store.TypeSymlink, wire.NF4LNK},
		{store.TypeBlock, wire.NF4BLK}, {store.TypeChar, wire.NF4CHR}, {store.TypeSocket, wire.NF4SOCK},
		{store.TypeFIFO, wire.NF4FIFO},
	}
	c := &Config{}
	for _, tc := range types {
		o := testObject()
		o.Attr.Type = tc.t
		e := xdr.NewEncoder(nil)
		Encode(e, wire.Bitmap4{1 << wire.FATTR4_TYPE}, o, c)
		if _, v := decodeFattr(t, e.Bytes()); v[wire.FATTR4_TYPE] != tc.want {
			t.Errorf("type %v = %v, want %v", tc.t, v[wire.FATTR4_TYPE], tc.want)
		}
	}

	// Mode keeps only the 07777 bits; mounted_on_fileid; zero FsInfo
	// figures; the pseudo-filesystem's booleans; a nil Stat.
	o := &Object{Attr: store.Attr{Mode: 0o170644, ID: 5}, MountedOnFileid: 77, Pseudo: true}
	want := wire.Bitmap4{}
	for _, n := range []uint32{wire.FATTR4_MODE, wire.FATTR4_MOUNTED_ON_FILEID, wire.FATTR4_MAXNAME,
		wire.FATTR4_MAXLINK, wire.FATTR4_MAXFILESIZE, wire.FATTR4_TIME_DELTA, wire.FATTR4_NO_TRUNC,
		wire.FATTR4_CASE_PRESERVING, wire.FATTR4_SPACE_AVAIL, wire.FATTR4_FILES_TOTAL, wire.FATTR4_FILEHANDLE} {
		want = want.Set(n)
	}
	e := xdr.NewEncoder(nil)
	Encode(e, want, o, c)
	_, v := decodeFattr(t, e.Bytes())
	checks := map[uint32]any{
		wire.FATTR4_MODE: wire.Mode4(0o644), wire.FATTR4_MOUNTED_ON_FILEID: uint64(77),
		wire.FATTR4_MAXNAME: uint32(255), wire.FATTR4_MAXLINK: uint32(65000),
		wire.FATTR4_MAXFILESIZE: uint64(1 << 62), wire.FATTR4_TIME_DELTA: wire.Nfstime4{Nseconds: 1},
		wire.FATTR4_NO_TRUNC: true, wire.FATTR4_CASE_PRESERVING: true,
		wire.FATTR4_SPACE_AVAIL: uint64(0), wire.FATTR4_FILES_TOTAL: uint64(0),
		wire.FATTR4_FILEHANDLE: []byte(nil),
	}
	for n, w := range checks {
		if !reflect.DeepEqual(v[n], w) {
			t.Errorf("attribute %d = %#v, want %#v", n, v[n], w)
		}
	}
}

func TestEncodeTimes(t *testing.T) {
	cases := []struct {
		ns   int64
		want wire.Nfstime4
	}{
		{0, wire.Nfstime4{}},
		{1, wire.Nfstime4{Nseconds: 1}},
		{-1, wire.Nfstime4{Seconds: -1, Nseconds: 999_999_999}},
		{-1_000_000_000, wire.Nfstime4{Seconds: -1}},
		{1_000_000_000, wire.Nfstime4{Seconds: 1}},
		{math.MaxInt64, wire.Nfstime4{Seconds: 9_223_372_036, Nseconds: 854_775_807}},
		{math.MinInt64, wire.Nfstime4{Seconds: -9_223_372_037, Nseconds: 145_224_192}},
	}
	for _, tc := range cases {
		e := xdr.NewEncoder(nil)
		putTime(e, tc.ns)
		var got wire.Nfstime4
		d := xdr.NewDecoder(e.Bytes())
		got.UnmarshalXDR(d)
		if got != tc.want {
			t.Errorf("putTime(%d) = %+v, want %+v", tc.ns, got, tc.want)
		}
		// And back through Decode's getTime.
		back, ok := getTime(xdr.NewDecoder(e.Bytes()))
		if !ok || back != tc.ns {
			t.Errorf("getTime(putTime(%d)) = %d, %v", tc.ns, back, ok)
		}
	}
}

func TestEncodeUnknownBits(t *testing.T) {
	// Only unknown and unsupported bits: an empty mask and an empty list.
	want := wire.Bitmap4{1 << wire.FATTR4_ACL, 1 << (wire.FATTR4_QUOTA_USED - 32), 1 << (wire.FATTR4_OPEN_ARGUMENTS - 64), 0xffff}
	e := xdr.NewEncoder(nil)
	Encode(e, want, testObject(), &Config{Minor: 2})
	if got := e.Bytes(); !slices.Equal(got, []byte{0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("Encode of unsupported bits = %x, want an empty fattr4", got)
	}
	// A nil want too.
	e.Truncate(0)
	Encode(e, nil, testObject(), &Config{})
	if e.Len() != 8 {
		t.Errorf("Encode(nil) = %x", e.Bytes())
	}
}

func TestEncodeAppends(t *testing.T) {
	e := xdr.NewEncoder(nil)
	e.Uint32(0xdeadbeef)
	Encode(e, wire.Bitmap4{1 << wire.FATTR4_SIZE}, testObject(), &Config{})
	b := e.Bytes()
	if len(b) < 4 || b[0] != 0xde {
		t.Fatalf("prefix clobbered: %x", b)
	}
	_, v := decodeFattr(t, b[4:])
	if v[wire.FATTR4_SIZE] != uint64(123456789) {
		t.Errorf("size = %v", v[wire.FATTR4_SIZE])
	}
}

func TestEncodeError(t *testing.T) {
	e := xdr.NewEncoder(nil)
	if EncodeError(e, wire.Bitmap4{1 << wire.FATTR4_SIZE}, wire.NFS4ERR_ACCESS) || e.Len() != 0 {
		t.Fatalf("EncodeError without rdattr_error: ok or %d bytes", e.Len())
	}
	want := wire.Bitmap4{1<<wire.FATTR4_SIZE | 1<<wire.FATTR4_RDATTR_ERROR, 1 << (wire.FATTR4_OWNER - 32)}
	if !EncodeError(e, want, wire.NFS4ERR_ACCESS) {
		t.Fatal("EncodeError with rdattr_error: not ok")
	}
	mask, v := decodeFattr(t, e.Bytes())
	if !slices.Equal(mask, wire.Bitmap4{1 << wire.FATTR4_RDATTR_ERROR}) || v[wire.FATTR4_RDATTR_ERROR] != wire.NFS4ERR_ACCESS {
		t.Errorf("EncodeError = %x %v", mask, v)
	}
}

func TestSupported(t *testing.T) {
	s0, s1, s2 := Supported(0), Supported(1), Supported(2)
	later := []uint32{wire.FATTR4_SUPPATTR_EXCLCREAT, wire.FATTR4_CHANGE_ATTR_TYPE, wire.FATTR4_XATTR_SUPPORT}
	for _, n := range later {
		if s0.IsSet(n) {
			t.Errorf("Supported(0) has %d", n)
		}
	}
	if !s1.IsSet(wire.FATTR4_SUPPATTR_EXCLCREAT) || s1.IsSet(wire.FATTR4_XATTR_SUPPORT) || s1.IsSet(wire.FATTR4_CHANGE_ATTR_TYPE) {
		t.Errorf("Supported(1) = %x", s1)
	}
	for _, n := range later {
		if !s2.IsSet(n) {
			t.Errorf("Supported(2) lacks %d", n)
		}
	}
	// Never listed: no ACLs, no named attributes, no pNFS, no quotas.
	never := []uint32{wire.FATTR4_ACL, wire.FATTR4_ARCHIVE, wire.FATTR4_FS_LOCATIONS, wire.FATTR4_HIDDEN,
		wire.FATTR4_MIMETYPE, wire.FATTR4_QUOTA_AVAIL_HARD, wire.FATTR4_QUOTA_USED, wire.FATTR4_SYSTEM,
		wire.FATTR4_TIME_BACKUP, wire.FATTR4_DACL, wire.FATTR4_FS_LAYOUT_TYPES, wire.FATTR4_SEC_LABEL}
	for _, n := range never {
		if s2.IsSet(n) {
			t.Errorf("Supported(2) has %d", n)
		}
	}
	// Every REQUIRED attribute of each version.
	for _, n := range []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 19} {
		if !s0.IsSet(n) {
			t.Errorf("Supported(0) lacks REQUIRED %d", n)
		}
	}
	if len(ExclCreat(0)) != 0 || !slices.Equal(ExclCreat(1), Writable(1)) {
		t.Errorf("ExclCreat(0) = %x, ExclCreat(1) = %x", ExclCreat(0), ExclCreat(1))
	}
	// The result is a copy.
	s0[0] = 0
	if Supported(0)[0] == 0 {
		t.Error("Supported returns shared memory")
	}
	// Writable ⊂ Supported.
	w := Writable(2)
	for n, ok := w.Next(0); ok; n, ok = w.Next(n + 1) {
		if !s2.IsSet(n) {
			t.Errorf("writable %d not supported", n)
		}
	}
}

func TestEncodeAllocs(t *testing.T) {
	e := xdr.NewEncoder(make([]byte, 0, 4096))
	o := testObject()
	o.Stat = nil
	c := &Config{Minor: 1, LeaseTime: 90}
	allocs := testing.AllocsPerRun(100, func() {
		e.Truncate(0)
		Encode(e, linuxGetattr, o, c)
	})
	if allocs != 0 {
		t.Errorf("Encode allocates %v times", allocs)
	}
}

func TestWriteOnly(t *testing.T) {
	c := &Config{Minor: 1}
	for _, tc := range []struct {
		bits []uint32
		want bool
	}{
		{nil, false},
		{[]uint32{wire.FATTR4_SIZE, wire.FATTR4_TIME_ACCESS, wire.FATTR4_TIME_MODIFY}, false},
		{[]uint32{wire.FATTR4_TIME_ACCESS_SET}, true},
		{[]uint32{wire.FATTR4_SIZE, wire.FATTR4_TIME_MODIFY_SET}, true},
		{[]uint32{200}, false}, // unknown: dropped, not refused
	} {
		var b wire.Bitmap4
		for _, n := range tc.bits {
			b = b.Set(n)
		}
		if got := WriteOnly(b, c); got != tc.want {
			t.Errorf("WriteOnly(%v) = %v, want %v", tc.bits, got, tc.want)
		}
	}
}
