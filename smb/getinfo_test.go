package smb

import (
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// TestShortName: FileAlternateNameInformation's 8.3 name (MS-FSCC
// §2.4.5), made as smbd makes one: a legal 8.3 name is its own; another is
// mangled to five legal characters in upper case, '~', two hash
// characters, and three characters of extension.
func TestShortName(t *testing.T) {
	for _, n := range []string{"a", "README", "file.txt", "A-B_C~1.X", "12345678.123"} {
		if got := shortName(n); got != n {
			t.Errorf("%q: %q", n, got)
		}
	}
	for _, tc := range []struct{ in, prefix, ext string }{
		{"a long file name.text", "ALONG~", ".TEX"},
		{"123456789", "12345~", ""},
		{"x.y.z", "XY~", ".Z"},
		{"file+name.c", "FILEN~", ".C"},
		{".hidden", "HIDDE~", ""},
		{"élan.txt", "LAN~", ".TXT"},
		{"+++", "_~", ""},
	} {
		got := shortName(tc.in)
		if len(got) != len(tc.prefix)+2+len(tc.ext) || got[:len(tc.prefix)] != tc.prefix || got[len(got)-len(tc.ext):] != tc.ext || !is83(got) {
			t.Errorf("%q: %q, want %s??%s", tc.in, got, tc.prefix, tc.ext)
		}
		if shortName(tc.in) != got {
			t.Errorf("%q: not stable", tc.in)
		}
	}
}

// TestQueryAltNameAndFsClasses: FileAlternateNameInformation answers with
// the short name (STATUS_OBJECT_NAME_NOT_FOUND for the share root, which
// has no name), STATUS_INFO_LENGTH_MISMATCH under
// sizeof(FILE_NAME_INFORMATION) and STATUS_BUFFER_OVERFLOW from there;
// FileFsControlInformation (MS-FSCC §2.5.2) says no quotas and
// FileFsObjectIdInformation (§2.5.6) gives a stable id; Basic, All,
// NetworkOpen and AttributeTag need FILE_READ_ATTRIBUTES (MS-FSA
// §2.1.5.12.1, .3, .20, .4).
func TestQueryAltNameAndFsClasses(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("a long name.txt", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	q := func(h wire.FileID, typ, class uint8, n uint32) reply {
		return c.call(wire.SMB2_QUERY_INFO, queryInfoBody(h, typ, class, n))
	}
	r := q(f, wire.SMB2_0_INFO_FILE, wire.FileAlternateNameInformation, 4096)
	want := shortName("a long name.txt")
	if got := output(r); r.status() != wire.STATUS_SUCCESS || int(binary.LittleEndian.Uint32(got)) != 2*len(want) {
		t.Errorf("alt name: %v %x", r.status(), got)
	}
	if st := q(f, wire.SMB2_0_INFO_FILE, wire.FileAlternateNameInformation, 7).status(); st != wire.STATUS_INFO_LENGTH_MISMATCH {
		t.Errorf("7 bytes: %v", st)
	}
	if st := q(f, wire.SMB2_0_INFO_FILE, wire.FileAlternateNameInformation, 8).status(); st != wire.STATUS_BUFFER_OVERFLOW {
		t.Errorf("8 bytes: %v", st)
	}
	root, st := c.create("", wire.GENERIC_READ, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := q(root, wire.SMB2_0_INFO_FILE, wire.FileAlternateNameInformation, 4096).status(); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("root: %v", st)
	}
	ctl := output(q(f, wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsControlInformation, 4096))
	if len(ctl) != 48 || binary.LittleEndian.Uint64(ctl[24:]) != ^uint64(0) || binary.LittleEndian.Uint32(ctl[40:]) != 0 {
		t.Errorf("control %x", ctl)
	}
	id1 := output(q(f, wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsObjectIdInformation, 4096))
	id2 := output(q(root, wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsObjectIdInformation, 4096))
	if len(id1) != 64 || string(id1) != string(id2) {
		t.Errorf("object id %x / %x", id1, id2)
	}
	ra, st := c.create("a long name.txt", wire.FILE_READ_DATA, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	for _, class := range []uint8{wire.FileBasicInformation, wire.FileAllInformation, wire.FileNetworkOpenInformation, wire.FileAttributeTagInformation} {
		if st := q(ra, wire.SMB2_0_INFO_FILE, class, 4096).status(); st != wire.STATUS_ACCESS_DENIED {
			t.Errorf("class %d without FILE_READ_ATTRIBUTES: %v", class, st)
		}
	}
	if st := q(ra, wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 4096).status(); st != wire.STATUS_SUCCESS {
		t.Errorf("standard: %v", st)
	}
}

// TestCreateAllocationSize: the AlSi create context (MS-SMB2
// §2.2.13.2.6) of a created file is its AllocationSize for the open
// (rounded to allocation units), with EndOfFile 0; any length but 8 is
// STATUS_INVALID_PARAMETER; an open of an existing file ignores it.
func TestCreateAllocationSize(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	alsi := func(n uint64) testCtx {
		return testCtx{wire.SMB2_CREATE_ALLOCATION_SIZE, binary.LittleEndian.AppendUint64(nil, n)}
	}
	r := c.call(wire.SMB2_CREATE, createCtxBody("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll, alsi(1<<20+1)))
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	// CREATE response: AllocationSize at 40, EndOfFile at 48 (§2.2.14).
	if a, e := binary.LittleEndian.Uint64(r.body[40:]), binary.LittleEndian.Uint64(r.body[48:]); a != 1<<20+allocUnit || e != 0 {
		t.Errorf("alloc %d eof %d", a, e)
	}
	std := output(c.call(wire.SMB2_QUERY_INFO, queryInfoBody(createFID(r), wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 24)))
	if a := binary.LittleEndian.Uint64(std); a != 1<<20+allocUnit {
		t.Errorf("standard alloc %d", a)
	}
	if st := c.call(wire.SMB2_CREATE, createCtxBody("g", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll,
		testCtx{wire.SMB2_CREATE_ALLOCATION_SIZE, []byte{1, 2, 3, 4}})).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("4-byte AlSi: %v", st)
	}
	r = c.call(wire.SMB2_CREATE, createCtxBody("f", wire.GENERIC_ALL, wire.FILE_OPEN, 0, shareAll, alsi(1<<30)))
	if a := binary.LittleEndian.Uint64(r.body[40:]); r.status() != wire.STATUS_SUCCESS || a != 0 {
		t.Errorf("open of an existing file: %v alloc %d", r.status(), a)
	}
}
