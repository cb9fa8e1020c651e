package smb

import (
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// createAttrs is CREATE with FileAttributes, returning the handle and the
// attributes of the response (MS-SMB2 §2.2.14, FileAttributes at 56).
func (c *client) createAttrs(name string, attrs, disp, opts uint32) (wire.FileID, uint32, wire.Status) {
	c.t.Helper()
	b := createBody(name, wire.GENERIC_ALL, disp, opts)
	binary.LittleEndian.PutUint32(b[28:], attrs)
	r := c.call(wire.SMB2_CREATE, b)
	if r.status() != wire.STATUS_SUCCESS {
		return wire.FileID{}, 0, r.status()
	}
	return wire.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])},
		binary.LittleEndian.Uint32(r.body[56:]), r.status()
}

// basicAttrs is FileAttributes of QUERY_INFO FileBasicInformation.
func (c *client) basicAttrs(f wire.FileID) uint32 {
	c.t.Helper()
	r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileBasicInformation, 40))
	if r.status() != wire.STATUS_SUCCESS {
		c.t.Fatalf("QUERY_INFO: %v", r.status())
	}
	return binary.LittleEndian.Uint32(output(r)[32:])
}

// listAttrs is FileAttributes of the one entry of dir matching name in
// FileDirectoryInformation (MS-FSCC §2.4.10: FileAttributes at 56).
func (c *client) listAttrs(dir wire.FileID, name string) uint32 {
	c.t.Helper()
	r := c.call(wire.SMB2_QUERY_DIRECTORY, queryDirBody(dir, wire.FileDirectoryInformation, wire.SMB2_RESTART_SCANS, name, 4096))
	if r.status() != wire.STATUS_SUCCESS {
		c.t.Fatalf("QUERY_DIRECTORY %s: %v", name, r.status())
	}
	return binary.LittleEndian.Uint32(output(r)[56:])
}

// TestDOSAttributes: HIDDEN, SYSTEM, ARCHIVE, TEMPORARY and
// NOT_CONTENT_INDEXED are kept as CREATE and FileBasicInformation set
// them (MS-FSA §2.1.5.1.2.1, §2.1.5.14.2), shown by CREATE, QUERY_INFO
// and QUERY_DIRECTORY; a new file has ARCHIVE; NORMAL alone clears them;
// SPARSE_FILE survives a FileBasicInformation; a HIDDEN or SYSTEM file
// is overwritten only by a CREATE asking for the same attributes
// (§2.1.5.1.2.2).
func TestDOSAttributes(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	const (
		H, S, A, N = wire.FILE_ATTRIBUTE_HIDDEN, wire.FILE_ATTRIBUTE_SYSTEM, wire.FILE_ATTRIBUTE_ARCHIVE, wire.FILE_ATTRIBUTE_NORMAL
		D, R, SP   = wire.FILE_ATTRIBUTE_DIRECTORY, wire.FILE_ATTRIBUTE_READONLY, wire.FILE_ATTRIBUTE_SPARSE_FILE
	)
	root, _ := c.create("", wire.GENERIC_READ, wire.FILE_OPEN, wire.FILE_DIRECTORY_FILE)
	plain, got, st := c.createAttrs("plain", 0, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS || got != A {
		t.Fatalf("new file: %v, attributes %#x, want ARCHIVE", st, got)
	}
	hid, got, _ := c.createAttrs("hid", H|S, wire.FILE_CREATE, 0)
	if got != H|S|A {
		t.Errorf("new HIDDEN|SYSTEM file: attributes %#x, want %#x", got, H|S|A)
	}
	if got := c.listAttrs(root, "hid"); got != H|S|A {
		t.Errorf("listing shows hid as %#x, want %#x", got, H|S|A)
	}
	dir, got, _ := c.createAttrs("dir", H, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE)
	if got != D|H {
		t.Errorf("new hidden directory: attributes %#x, want %#x", got, D|H)
	}

	setAttrs := func(f wire.FileID, attrs uint32) {
		t.Helper()
		b := Lay(int64(0), int64(0), int64(0), int64(0), attrs, uint32(0))
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileBasicInformation, b)); r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("SET_INFO %#x: %v", attrs, r.status())
		}
	}
	setAttrs(plain, N)
	if got := c.basicAttrs(plain); got != N {
		t.Errorf("after NORMAL: %#x, want NORMAL", got)
	}
	if got := c.listAttrs(root, "plain"); got != N {
		t.Errorf("listing after NORMAL: %#x, want NORMAL", got)
	}
	setAttrs(plain, H|A|R)
	if got := c.basicAttrs(plain); got != H|A|R {
		t.Errorf("after HIDDEN|ARCHIVE|READONLY: %#x", got)
	}
	setAttrs(plain, A) // also clears READONLY, so the next steps may write
	setAttrs(dir, N)
	if got := c.basicAttrs(dir); got != D {
		t.Errorf("directory after NORMAL: %#x, want DIRECTORY", got)
	}
	if st := c.fsctl(wire.FSCTL_SET_SPARSE, plain, nil, 0).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	setAttrs(plain, H)
	if got := c.basicAttrs(plain); got != H|SP {
		t.Errorf("sparse file after HIDDEN: %#x, want HIDDEN|SPARSE_FILE", got)
	}

	c.close(hid)
	if _, _, st := c.createAttrs("hid", 0, wire.FILE_OVERWRITE_IF, 0); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("overwrite of a HIDDEN|SYSTEM file without them: %v, want ACCESS_DENIED", st)
	}
	if _, _, st := c.createAttrs("hid", H, wire.FILE_OVERWRITE_IF, 0); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("overwrite of a HIDDEN|SYSTEM file with HIDDEN only: %v, want ACCESS_DENIED", st)
	}
	if _, got, st := c.createAttrs("hid", H|S|wire.FILE_ATTRIBUTE_TEMPORARY, wire.FILE_SUPERSEDE, 0); st != wire.STATUS_SUCCESS ||
		got != H|S|A|wire.FILE_ATTRIBUTE_TEMPORARY {
		t.Errorf("supersede with HIDDEN|SYSTEM|TEMPORARY: %v, attributes %#x", st, got)
	}
}
