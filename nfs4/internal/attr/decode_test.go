package attr

import (
	"slices"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// vals builds an attrlist4 from XDR pieces: uint32, uint64, int64,
// string, or []byte (raw bytes).
func vals(parts ...any) []byte {
	e := xdr.NewEncoder(nil)
	for _, p := range parts {
		switch v := p.(type) {
		case uint32:
			e.Uint32(v)
		case int:
			e.Uint32(uint32(v))
		case uint64:
			e.Uint64(v)
		case int64:
			e.Int64(v)
		case string:
			e.String(v)
		case []byte:
			e.FixedOpaque(v)
		default:
			panic("vals: bad part")
		}
	}
	return e.Bytes()
}

// bm returns the bitmap4 of attributes ns.
func bm(ns ...uint32) wire.Bitmap4 {
	var b wire.Bitmap4
	for _, n := range ns {
		b = b.Set(n)
	}
	return b
}

// testMapper knows alice (1000) and staff (50) in example.com.
var testMapper = &Domain{
	Domain: "example.com",
	Users:  NewTable(map[uint32]string{1000: "alice", 1001: "bob"}),
	Groups: NewTable(map[uint32]string{50: "staff"}),
}

func TestDecode(t *testing.T) {
	const (
		size, mode, owner, group = wire.FATTR4_SIZE, wire.FATTR4_MODE, wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP
		aset, mset, ctime        = wire.FATTR4_TIME_ACCESS_SET, wire.FATTR4_TIME_MODIFY_SET, wire.FATTR4_TIME_CREATE
	)
	cases := []struct {
		name   string
		minor  uint32
		mapper IDMapper
		mask   wire.Bitmap4
		vals   []byte
		want   store.SetAttr
		st     wire.Nfsstat4
	}{
		{name: "empty", want: store.SetAttr{}},
		{name: "size", mask: bm(size), vals: vals(uint64(4096)),
			want: store.SetAttr{Mask: store.SetSize, Size: 4096}},
		{name: "mode", mask: bm(mode), vals: vals(0o4755),
			want: store.SetAttr{Mask: store.SetMode, Mode: 0o4755}},
		{name: "size mode owner group", mask: bm(size, mode, owner, group),
			vals: vals(uint64(0), 0o644, "1000", "100"),
			want: store.SetAttr{Mask: store.SetSize | store.SetMode | store.SetUID | store.SetGID, Mode: 0o644, UID: 1000, GID: 100}},
		{name: "times client", mask: bm(aset, ctime, mset),
			vals: vals(1, int64(-1), 999_999_999, int64(5), 6, 1, int64(1_700_000_000), 7),
			want: store.SetAttr{Mask: store.SetAtime | store.SetBtime | store.SetMtime,
				Atime: -1, Btime: 5_000_000_006, Mtime: 1_700_000_000_000_000_007}},
		{name: "times server", mask: bm(aset, mset), vals: vals(0, 0),
			want: store.SetAttr{Mask: store.SetAtimeNow | store.SetMtimeNow}},
		{name: "trailing zero words in mask", mask: wire.Bitmap4{1 << size, 0, 0, 0, 0}, vals: vals(uint64(1)),
			want: store.SetAttr{Mask: store.SetSize, Size: 1}},
		{name: "names", mapper: testMapper, mask: bm(owner, group), vals: vals("alice@EXAMPLE.com", "staff@example.com"),
			want: store.SetAttr{Mask: store.SetUID | store.SetGID, UID: 1000, GID: 50}},
		{name: "bare name and numeric", mapper: testMapper, mask: bm(owner, group), vals: vals("bob", "77"),
			want: store.SetAttr{Mask: store.SetUID | store.SetGID, UID: 1001, GID: 77}},

		// ATTRNOTSUPP: unsupported, unknown, beyond 86, later minor.
		{name: "acl", mask: bm(wire.FATTR4_ACL), vals: vals(0), st: wire.NFS4ERR_ATTRNOTSUPP},
		{name: "archive", mask: bm(wire.FATTR4_ARCHIVE), vals: vals(1), st: wire.NFS4ERR_ATTRNOTSUPP},
		{name: "bit 87", mask: bm(87), vals: vals(1), st: wire.NFS4ERR_ATTRNOTSUPP},
		{name: "bit 200", mask: bm(size, 200), vals: vals(uint64(1)), st: wire.NFS4ERR_ATTRNOTSUPP},
		{name: "xattr_support in 4.1", minor: 1, mask: bm(wire.FATTR4_XATTR_SUPPORT), vals: vals(1), st: wire.NFS4ERR_ATTRNOTSUPP},
		{name: "unsupported before read-only", mask: bm(wire.FATTR4_TYPE, wire.FATTR4_ACL), vals: vals(1, 0), st: wire.NFS4ERR_ATTRNOTSUPP},

		// INVAL: read-only attributes.
		{name: "type", mask: bm(wire.FATTR4_TYPE), vals: vals(1), st: wire.NFS4ERR_INVAL},
		{name: "fileid", mask: bm(size, wire.FATTR4_FILEID), vals: vals(uint64(1), uint64(2)), st: wire.NFS4ERR_INVAL},
		{name: "time_modify", mask: bm(wire.FATTR4_TIME_MODIFY), vals: vals(int64(0), 0), st: wire.NFS4ERR_INVAL},
		{name: "rdattr_error", mask: bm(wire.FATTR4_RDATTR_ERROR), vals: vals(0), st: wire.NFS4ERR_INVAL},
		{name: "supported_attrs", mask: bm(wire.FATTR4_SUPPORTED_ATTRS), vals: vals(0), st: wire.NFS4ERR_INVAL},
		{name: "suppattr_exclcreat", minor: 1, mask: bm(wire.FATTR4_SUPPATTR_EXCLCREAT), vals: vals(0), st: wire.NFS4ERR_INVAL},
		{name: "read-only before bad xdr", mask: bm(size, wire.FATTR4_NUMLINKS), vals: vals(1), st: wire.NFS4ERR_INVAL},

		// BADXDR: truncated, trailing, bad lengths.
		{name: "truncated size", mask: bm(size), vals: vals(1), st: wire.NFS4ERR_BADXDR},
		{name: "missing value", mask: bm(size, mode), vals: vals(uint64(1)), st: wire.NFS4ERR_BADXDR},
		{name: "trailing bytes", mask: bm(mode), vals: vals(0o644, 0), st: wire.NFS4ERR_BADXDR},
		{name: "values without mask", vals: vals(0), st: wire.NFS4ERR_BADXDR},
		{name: "owner too long", mask: bm(owner), vals: vals(wire.MaxUTF8 + 1), st: wire.NFS4ERR_BADXDR},
		{name: "owner short", mask: bm(owner), vals: vals(8, []byte("1000")), st: wire.NFS4ERR_BADXDR},
		{name: "truncated time", mask: bm(mset), vals: vals(1, int64(3)), st: wire.NFS4ERR_BADXDR},
		{name: "bad xdr wins over bad mode", mask: bm(size, mode), vals: vals(0o17777), st: wire.NFS4ERR_BADXDR},
		{name: "trailing wins over bad owner", mask: bm(owner), vals: vals("nobody", 0), st: wire.NFS4ERR_BADXDR},

		// INVAL: bad values.
		{name: "mode bits", mask: bm(mode), vals: vals(0o10644), st: wire.NFS4ERR_INVAL},
		{name: "nseconds", mask: bm(mset), vals: vals(1, int64(1), 1_000_000_000), st: wire.NFS4ERR_INVAL},
		{name: "create nseconds", mask: bm(ctime), vals: vals(int64(1), 2_000_000_000), st: wire.NFS4ERR_INVAL},
		{name: "time beyond int64 ns", mask: bm(aset), vals: vals(1, int64(1)<<40, 0), st: wire.NFS4ERR_INVAL},
		{name: "time before int64 ns", mask: bm(aset), vals: vals(1, -(int64(1) << 40), 0), st: wire.NFS4ERR_INVAL},
		{name: "time_how 2", mask: bm(aset), vals: vals(2), st: wire.NFS4ERR_INVAL},

		// BADOWNER.
		{name: "owner name, numeric mapper", mask: bm(owner), vals: vals("alice@example.com"), st: wire.NFS4ERR_BADOWNER},
		{name: "owner N@domain, numeric mapper", mask: bm(owner), vals: vals("1000@example.com"), st: wire.NFS4ERR_BADOWNER},
		// An empty name is INVAL (RFC 8881 §5.9; Linux knfsd), whatever
		// the mapper.
		{name: "empty owner", mask: bm(owner), vals: vals(""), st: wire.NFS4ERR_INVAL},
		{name: "empty group, names", mapper: testMapper, mask: bm(group), vals: vals(""), st: wire.NFS4ERR_INVAL},
		{name: "negative owner", mask: bm(owner), vals: vals("-1"), st: wire.NFS4ERR_BADOWNER},
		{name: "owner overflow", mask: bm(owner), vals: vals("4294967296"), st: wire.NFS4ERR_BADOWNER},
		{name: "group name", mask: bm(group), vals: vals("staff"), st: wire.NFS4ERR_BADOWNER},
		{name: "unknown user", mapper: testMapper, mask: bm(owner), vals: vals("carol@example.com"), st: wire.NFS4ERR_BADOWNER},
		{name: "other domain", mapper: testMapper, mask: bm(owner), vals: vals("alice@example.org"), st: wire.NFS4ERR_BADOWNER},
		{name: "user name as group", mapper: testMapper, mask: bm(group), vals: vals("alice@example.com"), st: wire.NFS4ERR_BADOWNER},
		{name: "bad mode before bad owner: the first wins", mask: bm(mode, owner), vals: vals(0o10000, "x"), st: wire.NFS4ERR_INVAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Minor: tc.minor, Mapper: tc.mapper}
			sa, set, st := Decode(&wire.Fattr4{Attrmask: tc.mask, AttrVals: tc.vals}, c)
			if st != tc.st {
				t.Fatalf("status %v, want %v", st, tc.st)
			}
			if sa != tc.want {
				t.Errorf("SetAttr %+v, want %+v", sa, tc.want)
			}
			if st != wire.NFS4_OK {
				if set != nil {
					t.Errorf("set %x on error", set)
				}
				return
			}
			if !slices.Equal(set, tc.mask.Trim()) {
				t.Errorf("set %x, want %x", set, tc.mask.Trim())
			}
		})
	}
}

// TestDecodeSetattrOfEncode: what Encode writes of the writable
// attributes that GETATTR can read (size, mode, owner, owner_group,
// time_create) decodes back to the object's values.
func TestDecodeSetattrOfEncode(t *testing.T) {
	for _, mapper := range []IDMapper{nil, Numeric{}, testMapper} {
		o := testObject()
		o.Attr.Btime = -123_456_789
		c := &Config{Mapper: mapper}
		e := xdr.NewEncoder(nil)
		Encode(e, bm(wire.FATTR4_SIZE, wire.FATTR4_MODE, wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP, wire.FATTR4_TIME_CREATE), o, c)
		var f wire.Fattr4
		if err := xdr.Unmarshal(e.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		sa, _, st := Decode(&f, c)
		want := store.SetAttr{Mask: store.SetSize | store.SetMode | store.SetUID | store.SetGID | store.SetBtime,
			Size: o.Attr.Size, Mode: o.Attr.Mode, UID: o.Attr.UID, GID: o.Attr.GID, Btime: o.Attr.Btime}
		if st != wire.NFS4_OK || sa != want {
			t.Errorf("mapper %T: %v %+v, want %+v", mapper, st, sa, want)
		}
	}
}

func TestCompare(t *testing.T) {
	o := testObject()
	enc := func(c *Config, ns ...uint32) wire.Fattr4 {
		e := xdr.NewEncoder(nil)
		Encode(e, bm(ns...), o, c)
		var f wire.Fattr4
		if err := xdr.Unmarshal(e.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	c0, c2 := &Config{LeaseTime: 90}, &Config{Minor: 2, LeaseTime: 90}
	m := &Config{Mapper: testMapper}
	everything := func(c *Config) []uint32 {
		var ns []uint32
		s := Supported(c.Minor)
		for n, ok := s.Next(0); ok; n, ok = s.Next(n + 1) {
			if n != wire.FATTR4_RDATTR_ERROR && n != wire.FATTR4_TIME_ACCESS_SET && n != wire.FATTR4_TIME_MODIFY_SET {
				ns = append(ns, n)
			}
		}
		return ns
	}
	cases := []struct {
		name string
		c    *Config
		f    wire.Fattr4
		same bool
		st   wire.Nfsstat4
	}{
		{"empty", c0, wire.Fattr4{}, true, wire.NFS4_OK},
		{"all of 4.0", c0, enc(c0, everything(c0)...), true, wire.NFS4_OK},
		{"all of 4.2", c2, enc(c2, everything(c2)...), true, wire.NFS4_OK},
		{"size", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SIZE), AttrVals: vals(uint64(123456789))}, true, wire.NFS4_OK},
		{"size differs", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SIZE), AttrVals: vals(uint64(1))}, false, wire.NFS4_OK},
		{"filehandle", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_FILEHANDLE), AttrVals: vals(5, []byte{1, 2, 3, 4, 5})}, true, wire.NFS4_OK},
		{"filehandle differs", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_FILEHANDLE), AttrVals: vals(4, []byte{1, 2, 3, 4})}, false, wire.NFS4_OK},
		{"mode and change, change differs", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_CHANGE, wire.FATTR4_MODE),
			AttrVals: vals(uint64(98), 0o4755)}, false, wire.NFS4_OK},
		{"first differs, later malformed", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_CHANGE, wire.FATTR4_MODE),
			AttrVals: vals(uint64(98))}, false, wire.NFS4ERR_BADXDR},
		{"owner numeric", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_OWNER), AttrVals: vals("1000")}, true, wire.NFS4_OK},
		{"owner with leading zero", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_OWNER), AttrVals: vals("01000")}, true, wire.NFS4_OK},
		{"owner differs", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_OWNER), AttrVals: vals("1001")}, false, wire.NFS4_OK},
		{"owner name, case of domain", m, wire.Fattr4{Attrmask: bm(wire.FATTR4_OWNER), AttrVals: vals("alice@Example.COM")}, true, wire.NFS4_OK},
		{"owner unknown name", m, wire.Fattr4{Attrmask: bm(wire.FATTR4_OWNER), AttrVals: vals("carol@example.com")}, false, wire.NFS4_OK},
		{"group", m, wire.Fattr4{Attrmask: bm(wire.FATTR4_OWNER_GROUP), AttrVals: vals("100")}, true, wire.NFS4_OK},
		{"supported_attrs with a trailing zero word", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SUPPORTED_ATTRS),
			AttrVals: vals(4, supported[0][0], supported[0][1], 0, 0)}, true, wire.NFS4_OK},
		{"supported_attrs differs", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SUPPORTED_ATTRS), AttrVals: vals(1, 3)}, false, wire.NFS4_OK},
		{"supported_attrs with an unknown bit", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SUPPORTED_ATTRS),
			AttrVals: vals(4, supported[0][0], supported[0][1], 0, 1)}, false, wire.NFS4_OK},
		{"time", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_TIME_MODIFY), AttrVals: vals(int64(-1), 999_999_999)}, true, wire.NFS4_OK},
		{"space from Stat", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SPACE_AVAIL, wire.FATTR4_SPACE_TOTAL),
			AttrVals: vals(uint64(500), uint64(1000))}, true, wire.NFS4_OK},

		{"acl", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_ACL), AttrVals: vals(0)}, false, wire.NFS4ERR_ATTRNOTSUPP},
		{"bit 100", c0, wire.Fattr4{Attrmask: bm(100), AttrVals: vals(0)}, false, wire.NFS4ERR_ATTRNOTSUPP},
		{"exclcreat in 4.0", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SUPPATTR_EXCLCREAT), AttrVals: vals(0)}, false, wire.NFS4ERR_ATTRNOTSUPP},
		{"rdattr_error", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_RDATTR_ERROR), AttrVals: vals(0)}, false, wire.NFS4ERR_INVAL},
		{"time_modify_set", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_TIME_MODIFY_SET), AttrVals: vals(0)}, false, wire.NFS4ERR_INVAL},
		{"time_access_set", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SIZE, wire.FATTR4_TIME_ACCESS_SET), AttrVals: vals(uint64(1), 0)}, false, wire.NFS4ERR_INVAL},
		{"truncated", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_SIZE), AttrVals: vals(0)}, false, wire.NFS4ERR_BADXDR},
		{"trailing", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_MODE), AttrVals: vals(0o4755, 0)}, false, wire.NFS4ERR_BADXDR},
		{"trailing after a difference", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_MODE), AttrVals: vals(0o755, 0)}, false, wire.NFS4ERR_BADXDR},
		{"bad bool", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_LINK_SUPPORT), AttrVals: vals(2)}, false, wire.NFS4ERR_BADXDR},
		{"filehandle too long", c0, wire.Fattr4{Attrmask: bm(wire.FATTR4_FILEHANDLE), AttrVals: vals(129, make([]byte, 129))}, false, wire.NFS4ERR_BADXDR},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			same, st := Compare(&tc.f, o, tc.c)
			if same != tc.same || st != tc.st {
				t.Errorf("Compare = %v, %v; want %v, %v", same, st, tc.same, tc.st)
			}
		})
	}
	// Every attribute alone compares equal with what Encode wrote, and
	// not equal once its object changes.
	for _, n := range everything(c2) {
		f := enc(c2, n)
		if same, st := Compare(&f, o, c2); !same || st != wire.NFS4_OK {
			t.Errorf("attribute %d: Compare of its own encoding = %v, %v", n, same, st)
		}
	}
}

func TestMappers(t *testing.T) {
	var n Numeric
	if n.User(1000) != "1000" || n.Group(0) != "0" {
		t.Errorf("Numeric: %q %q", n.User(1000), n.Group(0))
	}
	for _, s := range []string{"", "+1", " 1", "1 ", "0x10", "4294967296", "99999999999", "1@x"} {
		if _, ok := n.UID(s); ok {
			t.Errorf("Numeric.UID(%q) accepted", s)
		}
	}
	if id, ok := n.GID("4294967295"); !ok || id != 1<<32-1 {
		t.Errorf("Numeric.GID(max) = %d %v", id, ok)
	}
	d := testMapper
	if d.User(1000) != "alice@example.com" || d.User(7) != "7" || d.Group(50) != "staff@example.com" {
		t.Errorf("Domain: %q %q %q", d.User(1000), d.User(7), d.Group(50))
	}
	if _, ok := d.UID("@example.com"); ok {
		t.Error("empty name accepted")
	}
	nodom := &Domain{Users: NewTable(map[uint32]string{1: "root", 2: "root"})}
	if nodom.User(1) != "root" {
		t.Errorf("Domain without domain: %q", nodom.User(1))
	}
	if id, ok := nodom.UID("root"); !ok || id != 1 {
		t.Errorf("duplicate name maps to %d %v, want the smaller id", id, ok)
	}
	if _, ok := nodom.GID("root"); ok {
		t.Error("nil Groups knows a name")
	}
	// Domain with the system's databases: root is uid 0 on every Unix.
	sys := &Domain{Domain: "local", Users: SystemUsers(), Groups: SystemGroups()}
	if id, ok := sys.UID("root@local"); ok && id != 0 {
		t.Errorf("root is %d", id)
	}
	if _, ok := sys.UID("no-such-user-xyzzy"); ok {
		t.Error("unknown system user accepted")
	}
}
