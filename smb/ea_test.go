package smb

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
	"github.com/dittofs/dittofs/store"
)

type testEA struct {
	flags       uint8
	name, value string
}

// fullEa lays out a FILE_FULL_EA_INFORMATION list (MS-FSCC §2.4.15),
// entries 4-byte aligned.
func fullEa(eas ...testEA) []byte {
	var b []byte
	for i, ea := range eas {
		e := Lay(uint32(0), ea.flags, uint8(len(ea.name)), uint16(len(ea.value)), ea.name, uint8(0), ea.value)
		if i < len(eas)-1 {
			e = append(e, make([]byte, -len(e)&3)...)
			binary.LittleEndian.PutUint32(e, uint32(len(e)))
		}
		b = append(b, e...)
	}
	return b
}

// getEa lays out a FILE_GET_EA_INFORMATION list (MS-FSCC §2.4.15.1).
func getEa(names ...string) []byte {
	var b []byte
	for i, n := range names {
		e := Lay(uint32(0), uint8(len(n)), n, uint8(0))
		if i < len(names)-1 {
			e = append(e, make([]byte, -len(e)&3)...)
			binary.LittleEndian.PutUint32(e, uint32(len(e)))
		}
		b = append(b, e...)
	}
	return b
}

// parseEas reads a FILE_FULL_EA_INFORMATION list back.
func parseEas(t *testing.T, b []byte) []testEA {
	t.Helper()
	var out []testEA
	for len(b) > 0 {
		next := binary.LittleEndian.Uint32(b)
		nl, vl := int(b[5]), int(binary.LittleEndian.Uint16(b[6:]))
		out = append(out, testEA{b[4], string(b[8 : 8+nl]), string(b[9+nl : 9+nl+vl])})
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return out
}

func (c *client) queryEa(f wire.FileID, outLen, flags, index uint32, names []byte) reply {
	return c.call(wire.SMB2_QUERY_INFO, queryInfoFull(f, wire.SMB2_0_INFO_FILE, wire.FileFullEaInformation, outLen, index, flags, names))
}

func (c *client) setEa(f wire.FileID, list []byte) wire.Status {
	return c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileFullEaInformation, list)).status()
}

func eaSizeOf(c *client, f wire.FileID) uint32 {
	return binary.LittleEndian.Uint32(output(c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileEaInformation, 4))))
}

// TestFullEaInformation: EAs set with SET_INFO FileFullEaInformation come
// back from QUERY_INFO as MS-SMB2 §3.3.5.20.1 and MS-FSA §2.1.5.12.12
// say: a scan from SL_RESTART_SCAN or a 1-based SL_INDEX_SPECIFIED index,
// continued by the next query, whole entries only (BUFFER_TOO_SMALL when
// none fits, BUFFER_OVERFLOW when some are left), NO_MORE_EAS at the end,
// NONEXISTENT_EA_ENTRY for a bad index, NO_EAS_ON_FILE without EAs; a
// name list gets those EAs, matched without regard to case, an absent one
// with an empty value; FileEaInformation is the list's size (§2.4.13).
func TestFullEaInformation(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if r := c.queryEa(f, 4096, wire.SL_RESTART_SCAN, 0, nil); r.status() != wire.STATUS_NO_EAS_ON_FILE {
		t.Errorf("no EAs: %v", r.status())
	}
	if n := eaSizeOf(c, f); n != 0 {
		t.Errorf("EaSize without EAs %d", n)
	}
	list := fullEa(testEA{0, "Alpha", "one"}, testEA{0x80, "BETA", "second value"})
	if st := c.setEa(f, list); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	r := c.queryEa(f, 4096, wire.SL_RESTART_SCAN, 0, nil)
	got := parseEas(t, output(r))
	if r.status() != wire.STATUS_SUCCESS || len(got) != 2 || got[0] != (testEA{0, "Alpha", "one"}) || got[1] != (testEA{0x80, "BETA", "second value"}) {
		t.Fatalf("%v %+v", r.status(), got)
	}
	if n := eaSizeOf(c, f); int(n) != len(output(r)) {
		t.Errorf("EaSize %d, list %d", n, len(output(r)))
	}
	if r := c.queryEa(f, 4096, 0, 0, nil); r.status() != wire.STATUS_NO_MORE_EAS {
		t.Errorf("after the end: %v", r.status())
	}
	// One entry at a time.
	r = c.queryEa(f, 4096, wire.SL_RESTART_SCAN|wire.SL_RETURN_SINGLE_ENTRY, 0, nil)
	if got := parseEas(t, output(r)); r.status() != wire.STATUS_BUFFER_OVERFLOW || len(got) != 1 || got[0].name != "Alpha" {
		t.Errorf("single: %v %+v", r.status(), got)
	}
	r = c.queryEa(f, 4096, wire.SL_RETURN_SINGLE_ENTRY, 0, nil)
	if got := parseEas(t, output(r)); r.status() != wire.STATUS_SUCCESS || len(got) != 1 || got[0].name != "BETA" {
		t.Errorf("single, next: %v %+v", r.status(), got)
	}
	// By index.
	r = c.queryEa(f, 4096, wire.SL_INDEX_SPECIFIED, 2, nil)
	if got := parseEas(t, output(r)); r.status() != wire.STATUS_SUCCESS || len(got) != 1 || got[0].name != "BETA" {
		t.Errorf("index 2: %v %+v", r.status(), got)
	}
	for _, i := range []uint32{0, 3} {
		if r := c.queryEa(f, 4096, wire.SL_INDEX_SPECIFIED, i, nil); r.status() != wire.STATUS_NONEXISTENT_EA_ENTRY {
			t.Errorf("index %d: %v", i, r.status())
		}
	}
	// Buffer sizes: the first entry is 12 bytes (8 + "Alpha\0"... + "one").
	if r := c.queryEa(f, 8, wire.SL_RESTART_SCAN, 0, nil); r.status() != wire.STATUS_BUFFER_TOO_SMALL {
		t.Errorf("tiny buffer: %v", r.status())
	}
	r = c.queryEa(f, 20, wire.SL_RESTART_SCAN, 0, nil)
	if got := parseEas(t, output(r)); r.status() != wire.STATUS_BUFFER_OVERFLOW || len(got) != 1 {
		t.Errorf("one fits: %v %+v", r.status(), got)
	}
	// A name list.
	r = c.queryEa(f, 4096, 0, 0, getEa("beta", "missing", "ALPHA"))
	got = parseEas(t, output(r))
	if r.status() != wire.STATUS_SUCCESS || len(got) != 3 || got[0].value != "second value" || got[1] != (testEA{0, "missing", ""}) || got[2].value != "one" {
		t.Errorf("name list: %v %+v", r.status(), got)
	}
	if r := c.queryEa(f, 4096, 0, 0, []byte{1, 2, 3, 4, 5, 6, 7}); r.status() != wire.STATUS_EA_LIST_INCONSISTENT {
		t.Errorf("bad name list: %v", r.status())
	}
	// Setting a name in another case replaces the value, keeping one
	// entry; an empty value removes it.
	if st := c.setEa(f, fullEa(testEA{0, "alpha", "uno"}, testEA{0, "Beta", ""})); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	got = parseEas(t, output(c.queryEa(f, 4096, wire.SL_RESTART_SCAN, 0, nil)))
	if len(got) != 1 || got[0] != (testEA{0, "Alpha", "uno"}) {
		t.Errorf("after replace and remove: %+v", got)
	}
	// What NFS sees: the store names lie outside user.*.
	h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := ts.fs.ListXattr(context.Background(), &store.Cred{}, h)
	if len(names) != 1 || names[0] != "smb.ea.Alpha" {
		t.Errorf("store names %q", names)
	}
}

// TestSetEaErrors: the statuses of MS-FSA §2.1.5.14.6 and our bounds: a
// list that does not decode is EA_LIST_INCONSISTENT, a name with a
// character NTFS refuses INVALID_EA_NAME, a flag other than FILE_NEED_EA
// INVALID_EA_FLAG, EAs past 64 KiB in all EA_TOO_LARGE (nothing set in any
// of these), and an open without FILE_WRITE_EA ACCESS_DENIED.
func TestSetEaErrors(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	big := strings.Repeat("x", 40000)
	for _, tc := range []struct {
		name string
		list []byte
		want wire.Status
	}{
		{"garbage", []byte{0, 0, 0, 0, 0, 0}, wire.STATUS_EA_LIST_INCONSISTENT},
		{"star", fullEa(testEA{0, "a*b", "v"}), wire.STATUS_INVALID_EA_NAME},
		{"colon", fullEa(testEA{0, "ok", "v"}, testEA{0, "a:b", "v"}), wire.STATUS_INVALID_EA_NAME},
		{"control", fullEa(testEA{0, "a\x01", "v"}), wire.STATUS_INVALID_EA_NAME},
		{"flag", fullEa(testEA{0x01, "a", "v"}), wire.STATUS_INVALID_EA_FLAG},
		{"too large", fullEa(testEA{0, "a", big}, testEA{0, "b", big}), wire.STATUS_EA_TOO_LARGE},
	} {
		if st := c.setEa(f, tc.list); st != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, st, tc.want)
		}
	}
	if r := c.queryEa(f, 4096, wire.SL_RESTART_SCAN, 0, nil); r.status() != wire.STATUS_NO_EAS_ON_FILE {
		t.Errorf("something was set: %v", r.status())
	}
	ro, st := c.create("f", wire.GENERIC_READ, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.setEa(ro, fullEa(testEA{0, "a", "v"})); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("without FILE_WRITE_EA: %v", st)
	}
}

// TestCreateExtA: the ExtA create context (MS-SMB2 §2.2.13.2.1) sets the
// EAs of a created file and replaces those of an overwritten one; a bad
// buffer fails the CREATE before anything is made; a file with a
// FILE_NEED_EA EA cannot be opened with FILE_NO_EA_KNOWLEDGE
// (MS-FSA §2.1.5.1.2.1).
func TestCreateExtA(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	create := func(name string, disp, opts uint32, list []byte) reply {
		return c.call(wire.SMB2_CREATE, createCtxBody(name, wire.GENERIC_ALL, disp, opts, shareAll,
			testCtx{wire.SMB2_CREATE_EA_BUFFER, list}))
	}
	r := create("f", wire.FILE_CREATE, 0, fullEa(testEA{0, "One", "1"}, testEA{0x80, "Two", "2"}))
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	f := createFID(r)
	if got := parseEas(t, output(c.queryEa(f, 4096, wire.SL_RESTART_SCAN, 0, nil))); len(got) != 2 {
		t.Errorf("created: %+v", got)
	}
	r = create("f", wire.FILE_OVERWRITE, 0, fullEa(testEA{0, "Three", "3"}))
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	if got := parseEas(t, output(c.queryEa(createFID(r), 4096, wire.SL_RESTART_SCAN, 0, nil))); len(got) != 1 || got[0].name != "Three" {
		t.Errorf("overwritten: %+v", got)
	}
	if st := create("g", wire.FILE_CREATE, 0, fullEa(testEA{0, "bad?", "1"})).status(); st != wire.STATUS_INVALID_EA_NAME {
		t.Errorf("bad name: %v", st)
	}
	if st := create("g", wire.FILE_CREATE, 0, []byte{1}).status(); st != wire.STATUS_EA_LIST_INCONSISTENT {
		t.Errorf("bad list: %v", st)
	}
	if _, st := c.create("g", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("g made: %v", st)
	}
	if st := create("h", wire.FILE_CREATE, 0, fullEa(testEA{0x80, "Need", "1"})).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.create("h", wire.GENERIC_READ, wire.FILE_OPEN, wire.FILE_NO_EA_KNOWLEDGE); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("FILE_NO_EA_KNOWLEDGE: %v", st)
	}
	if _, st := c.create("f", wire.GENERIC_READ, wire.FILE_OPEN, wire.FILE_NO_EA_KNOWLEDGE); st != wire.STATUS_SUCCESS {
		t.Errorf("FILE_NO_EA_KNOWLEDGE without NEED_EA: %v", st)
	}
}
