package smb

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/dtyp"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

const ownerGroupDACL = wire.OWNER_SECURITY_INFORMATION | wire.GROUP_SECURITY_INFORMATION | wire.DACL_SECURITY_INFORMATION

// attrOf reads a file's attributes from the store, as root.
func (ts *testServer) attrOf(t *testing.T, name string) store.Attr {
	t.Helper()
	root := &store.Cred{}
	h, a, err := ts.fs.Lookup(context.Background(), root, ts.tab.Lookup("/export").Root(), name)
	_ = h
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (c *client) querySD(f wire.FileID, info, outLen uint32) reply {
	return c.call(wire.SMB2_QUERY_INFO, queryInfoFull(f, wire.SMB2_0_INFO_SECURITY, 0, outLen, info, 0, nil))
}

// TestQuerySecurity: the descriptor of a node is derived from its uid, gid
// and mode (docs/smb.md): owner S-1-22-1-uid, group S-1-22-2-gid, and
// ALLOW ACEs of the owner, group and Everyone classes (MS-DTYP §2.4.6,
// MS-SMB2 §3.3.5.20.3); only the parts asked for are present.
func TestQuerySecurity(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	r := c.querySD(f, ownerGroupDACL, 4096)
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	sd, err := dtyp.Decode(output(r))
	if err != nil {
		t.Fatal(err)
	}
	if sd.Owner.String() != "S-1-22-1-1000" || sd.Group.String() != "S-1-22-2-1000" {
		t.Errorf("owner %s group %s", sd.Owner, sd.Group)
	}
	if sd.Control&dtyp.SE_DACL_PRESENT == 0 || sd.DACL == nil || len(sd.DACL.ACEs) != 3 {
		t.Fatalf("dacl %+v", sd.DACL)
	}
	// 0644: owner rw- (and WRITE_DAC, WRITE_OWNER), group r--, other r--.
	want := []struct {
		sid  string
		mask uint32
	}{
		{"S-1-22-1-1000", baseMask | readMask | writeMask | ownerMask},
		{"S-1-22-2-1000", 0x120089}, // FILE_GENERIC_READ
		{"S-1-1-0", 0x120089},
	}
	for i, w := range want {
		a := sd.DACL.ACEs[i]
		if a.Type != dtyp.ACCESS_ALLOWED_ACE_TYPE || a.SID.String() != w.sid || a.Mask != w.mask {
			t.Errorf("ACE %d: %d %s %#x, want %s %#x", i, a.Type, a.SID.String(), a.Mask, w.sid, w.mask)
		}
	}
	// Only the owner.
	sd, err = dtyp.Decode(output(c.querySD(f, wire.OWNER_SECURITY_INFORMATION, 4096)))
	if err != nil || sd.Owner == nil || sd.Group != nil || sd.Control&dtyp.SE_DACL_PRESENT != 0 {
		t.Errorf("owner only: %+v %v", sd, err)
	}
	// A class without permission bits has no ACE; 0777 is a NULL DACL
	// (every right to everyone), but not with the sticky bit.
	h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode uint32
		aces int // -1: NULL DACL
	}{{0o600, 1}, {0o000, 0}, {0o070, 1}, {0o777, -1}, {0o1777, 3}} {
		if _, err := ts.fs.SetAttr(context.Background(), &store.Cred{}, h, &store.SetAttr{Mask: store.SetMode, Mode: tc.mode}); err != nil {
			t.Fatal(err)
		}
		sd, err := dtyp.Decode(output(c.querySD(f, wire.DACL_SECURITY_INFORMATION, 4096)))
		switch {
		case err != nil || sd.Control&dtyp.SE_DACL_PRESENT == 0:
			t.Errorf("mode %o: %+v %v", tc.mode, sd, err)
		case tc.aces < 0 && sd.DACL != nil, tc.aces >= 0 && (sd.DACL == nil || len(sd.DACL.ACEs) != tc.aces):
			t.Errorf("mode %o: DACL %+v, want %d ACEs", tc.mode, sd.DACL, tc.aces)
		}
	}
}

// TestQuerySecurityBufferTooSmall: a buffer smaller than the descriptor,
// zero included, is STATUS_BUFFER_TOO_SMALL with the size needed as error
// data: 4 bytes before 3.1.1, an ERROR context from 3.1.1 (MS-SMB2
// §3.3.5.20.3, §2.2.2.2).
func TestQuerySecurityBufferTooSmall(t *testing.T) {
	for _, d := range []wire.Dialect{wire.SMB2_DIALECT_210, wire.SMB2_DIALECT_311} {
		ts := startServer(t)
		c := ts.connect(d)
		f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
		if st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		full := output(c.querySD(f, ownerGroupDACL, 4096))
		for _, n := range []uint32{0, 1, uint32(len(full) - 1)} {
			r := c.querySD(f, ownerGroupDACL, n)
			if r.status() != wire.STATUS_BUFFER_TOO_SMALL {
				t.Fatalf("dialect %v, buffer %d: %v", d, n, r.status())
			}
			if ed := errorData(r, d); len(ed) != 4 || int(ed[0])|int(ed[1])<<8 != len(full) {
				t.Errorf("dialect %v, buffer %d: error data %x, want %d", d, n, ed, len(full))
			}
		}
		if r := c.querySD(f, ownerGroupDACL, uint32(len(full))); r.status() != wire.STATUS_SUCCESS || !bytes.Equal(output(r), full) {
			t.Errorf("exact size: %v", r.status())
		}
	}
}

// TestSecurityAccess: reading the owner, group or DACL needs READ_CONTROL;
// the SACL needs ACCESS_SYSTEM_SECURITY, which only a privileged user gets
// (STATUS_PRIVILEGE_NOT_HELD at CREATE, MS-SMB2 §3.3.5.9); setting the
// owner needs WRITE_OWNER and the DACL WRITE_DAC (MS-FSA §2.1.5.13,
// §2.1.5.16): STATUS_ACCESS_DENIED otherwise.
func TestSecurityAccess(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	sd := output(c.querySD(f, ownerGroupDACL, 4096))
	c.close(f)
	if _, st := c.create("f", wire.ACCESS_SYSTEM_SECURITY|wire.READ_CONTROL, wire.FILE_OPEN, 0); st != wire.STATUS_PRIVILEGE_NOT_HELD {
		t.Errorf("ACCESS_SYSTEM_SECURITY: %v", st)
	}
	f, st = c.create("f", wire.FILE_READ_ATTRIBUTES, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	for _, info := range []uint32{wire.OWNER_SECURITY_INFORMATION, wire.GROUP_SECURITY_INFORMATION, wire.DACL_SECURITY_INFORMATION, wire.SACL_SECURITY_INFORMATION} {
		if r := c.querySD(f, info, 4096); r.status() != wire.STATUS_ACCESS_DENIED {
			t.Errorf("query %#x without READ_CONTROL: %v", info, r.status())
		}
	}
	for _, info := range []uint32{wire.OWNER_SECURITY_INFORMATION, wire.DACL_SECURITY_INFORMATION, wire.SACL_SECURITY_INFORMATION} {
		r := c.call(wire.SMB2_SET_INFO, setInfoFull(f, wire.SMB2_0_INFO_SECURITY, 0, info, sd))
		if r.status() != wire.STATUS_ACCESS_DENIED {
			t.Errorf("set %#x without the right: %v", info, r.status())
		}
	}
	f2, st := c.create("f", wire.READ_CONTROL, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if r := c.querySD(f2, wire.SACL_SECURITY_INFORMATION, 4096); r.status() != wire.STATUS_ACCESS_DENIED {
		t.Errorf("SACL without ACCESS_SYSTEM_SECURITY: %v", r.status())
	}
}

// dacl builds a descriptor with a DACL of ALLOW ACEs (sid, mask pairs).
func dacl(owner *dtyp.SID, aces ...dtyp.ACE) []byte {
	sd := &dtyp.SecurityDescriptor{Control: dtyp.SE_DACL_PRESENT, Owner: owner, DACL: &dtyp.ACL{ACEs: aces}}
	return sd.Append(nil)
}

func allow(s dtyp.SID, mask uint32) dtyp.ACE {
	return dtyp.ACE{Type: dtyp.ACCESS_ALLOWED_ACE_TYPE, Mask: mask, SID: s}
}

// TestSetSecurity: a DACL that maps onto mode bits sets the mode; what the
// mode cannot represent is STATUS_NOT_SUPPORTED and changes nothing; a
// descriptor that does not decode is STATUS_INVALID_SECURITY_DESCR; an
// owner that is not a Unix user SID STATUS_INVALID_OWNER, a group that is
// not a Unix group SID STATUS_INVALID_PRIMARY_GROUP; giving the file away
// is refused by the store (STATUS_ACCESS_DENIED) (MS-FSA §2.1.5.16).
func TestSetSecurity(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	owner, group := uidSID(1000), gidSID(1000)
	set := func(info uint32, b []byte) wire.Status {
		return c.call(wire.SMB2_SET_INFO, setInfoFull(f, wire.SMB2_0_INFO_SECURITY, 0, info, b)).status()
	}
	mode := func() uint32 { return ts.attrOf(t, "f").Mode & 0o777 }
	for _, tc := range []struct {
		name string
		sd   []byte
		want wire.Status
		mode uint32
	}{
		{"rwx r-x ---", dacl(nil, allow(owner, wire.FILE_ALL_ACCESS), allow(group, 0x1200A9)), wire.STATUS_SUCCESS, 0o750},
		{"generic bits", dacl(nil, allow(owner, wire.GENERIC_READ|wire.GENERIC_WRITE), allow(dtyp.Everyone, wire.GENERIC_READ)), wire.STATUS_SUCCESS, 0o604},
		{"two ACEs of one class", dacl(nil, allow(owner, wire.FILE_READ_DATA), allow(owner, wire.FILE_EXECUTE)), wire.STATUS_SUCCESS, 0o500},
		{"empty DACL", dacl(nil), wire.STATUS_SUCCESS, 0},
		{"NULL DACL", (&dtyp.SecurityDescriptor{Control: dtyp.SE_DACL_PRESENT}).Append(nil), wire.STATUS_SUCCESS, 0o777},
		{"deny ACE", dacl(nil, dtyp.ACE{Type: dtyp.ACCESS_DENIED_ACE_TYPE, Mask: wire.FILE_READ_DATA, SID: group}), wire.STATUS_NOT_SUPPORTED, 0o777},
		{"other SID", dacl(nil, allow(uidSID(1001), wire.FILE_READ_DATA)), wire.STATUS_NOT_SUPPORTED, 0o777},
		{"inheritable", dacl(nil, dtyp.ACE{Type: dtyp.ACCESS_ALLOWED_ACE_TYPE, Flags: dtyp.OBJECT_INHERIT_ACE, Mask: wire.FILE_READ_DATA, SID: owner}), wire.STATUS_NOT_SUPPORTED, 0o777},
		{"append without write", dacl(nil, allow(owner, wire.FILE_APPEND_DATA)), wire.STATUS_NOT_SUPPORTED, 0o777},
		{"WRITE_DAC for the group", dacl(nil, allow(group, wire.WRITE_DAC)), wire.STATUS_NOT_SUPPORTED, 0o777},
		{"garbage", []byte{1, 0, 0, 0x80, 0xff}, wire.STATUS_INVALID_SECURITY_DESCR, 0o777},
	} {
		if st := set(wire.DACL_SECURITY_INFORMATION, tc.sd); st != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, st, tc.want)
		}
		if m := mode(); m != tc.mode {
			t.Errorf("%s: mode %o, want %o", tc.name, m, tc.mode)
		}
	}
	// The DACL read back is what was set.
	if st := set(wire.DACL_SECURITY_INFORMATION, dacl(nil, allow(owner, modeMask(6, true)), allow(group, modeMask(4, false)), allow(dtyp.Everyone, modeMask(0, false)))); st != wire.STATUS_SUCCESS || mode() != 0o640 {
		t.Errorf("round trip: %v %o", st, mode())
	}
	other := uidSID(1001)
	win := dtyp.NewSID(5, 32, 544)
	for _, tc := range []struct {
		name string
		info uint32
		sd   *dtyp.SecurityDescriptor
		want wire.Status
	}{
		{"give away", wire.OWNER_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{Owner: &other}, wire.STATUS_ACCESS_DENIED},
		{"same owner", wire.OWNER_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{Owner: &owner}, wire.STATUS_SUCCESS},
		{"Windows owner", wire.OWNER_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{Owner: &win}, wire.STATUS_INVALID_OWNER},
		{"no owner", wire.OWNER_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{}, wire.STATUS_INVALID_OWNER},
		{"group as owner", wire.OWNER_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{Owner: &group}, wire.STATUS_INVALID_OWNER},
		{"user as group", wire.GROUP_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{Group: &owner}, wire.STATUS_INVALID_PRIMARY_GROUP},
		{"foreign group", wire.GROUP_SECURITY_INFORMATION, &dtyp.SecurityDescriptor{Group: ptr(gidSID(4242))}, wire.STATUS_ACCESS_DENIED},
	} {
		if st := set(tc.info, tc.sd.Append(nil)); st != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, st, tc.want)
		}
	}
	if a := ts.attrOf(t, "f"); a.UID != 1000 || a.GID != 1000 {
		t.Errorf("owner %d:%d", a.UID, a.GID)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCreateSecD: the SecD create context (MS-SMB2 §2.2.13.2.3) gives a
// new file its mode; an unrepresentable one fails the CREATE and creates
// nothing; an owner other than the creator is refused by the store and
// the file is not left behind.
func TestCreateSecD(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	owner := uidSID(1000)
	create := func(name string, sd []byte) wire.Status {
		return c.call(wire.SMB2_CREATE, createCtxBody(name, wire.GENERIC_READ, wire.FILE_CREATE, 0, shareAll,
			testCtx{wire.SMB2_CREATE_SD_BUFFER, sd})).status()
	}
	if st := create("a", dacl(nil, allow(owner, wire.FILE_ALL_ACCESS))); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if m := ts.attrOf(t, "a").Mode & 0o777; m != 0o700 {
		t.Errorf("mode %o", m)
	}
	if st := create("b", dacl(nil, allow(uidSID(7), wire.FILE_ALL_ACCESS))); st != wire.STATUS_NOT_SUPPORTED {
		t.Errorf("unrepresentable: %v", st)
	}
	if st := create("c", []byte{1, 2, 3}); st != wire.STATUS_INVALID_SECURITY_DESCR {
		t.Errorf("garbage: %v", st)
	}
	other := uidSID(1001)
	if st := create("d", (&dtyp.SecurityDescriptor{Owner: &other}).Append(nil)); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("other owner: %v", st)
	}
	for _, n := range []string{"b", "c", "d"} {
		if _, st := c.create(n, wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
			t.Errorf("%s left behind: %v", n, st)
		}
	}
}
