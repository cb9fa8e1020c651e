package smb

import (
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// TestShareDelete: FILE_SHARE_DELETE among SMB opens, across connections
// (MS-FSA §2.1.5.1.2): DELETE access is refused while another open does
// not share delete, an open that does not share delete is refused while
// another has DELETE access; an open of the file's data with DELETE
// conflicts with an open of any of its streams, an open of a stream only
// with opens of that stream; opens without data or DELETE access take no
// part; closing ends the conflict.
func TestShareDelete(t *testing.T) {
	ts := startServer(t)
	a := ts.connect(wire.SMB2_DIALECT_311)
	b := ts.connect(wire.SMB2_DIALECT_311)
	open := func(c *client, name string, access, share uint32) (wire.FileID, wire.Status) {
		r := c.call(wire.SMB2_CREATE, createCtxBody(name, access, wire.FILE_OPEN_IF, 0, share))
		if r.status() != wire.STATUS_SUCCESS {
			return wire.FileID{}, r.status()
		}
		return createFID(r), r.status()
	}
	const rw = wire.FILE_SHARE_READ | wire.FILE_SHARE_WRITE
	f, st := open(a, "f", wire.FILE_READ_DATA, rw)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := open(b, "f", wire.DELETE, shareAll); st != wire.STATUS_SHARING_VIOLATION {
		t.Errorf("DELETE while an open does not share delete: %v", st)
	}
	if _, st := open(b, "f", wire.FILE_READ_ATTRIBUTES, 0); st != wire.STATUS_SUCCESS {
		t.Errorf("attribute-only open: %v", st)
	}
	a.close(f)
	d, st := open(b, "f", wire.DELETE, shareAll)
	if st != wire.STATUS_SUCCESS {
		t.Fatalf("DELETE after the close: %v", st)
	}
	if _, st := open(a, "f", wire.FILE_READ_DATA, rw); st != wire.STATUS_SHARING_VIOLATION {
		t.Errorf("not sharing delete while an open has DELETE: %v", st)
	}
	if _, st := open(a, "f", wire.FILE_READ_DATA, shareAll); st != wire.STATUS_SUCCESS {
		t.Errorf("sharing delete: %v", st)
	}
	b.close(d)
	// Streams.
	s, st := open(a, "g:s", wire.FILE_READ_DATA, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := open(b, "g", wire.DELETE, shareAll); st != wire.STATUS_SHARING_VIOLATION {
		t.Errorf("deleting the file while a stream does not share delete: %v", st)
	}
	if _, st := open(b, "g:other", wire.DELETE, shareAll); st != wire.STATUS_SUCCESS {
		t.Errorf("DELETE of another stream: %v", st)
	}
	a.close(s)
	if _, st := open(b, "g", wire.DELETE, shareAll); st != wire.STATUS_SUCCESS {
		t.Errorf("after the stream's close: %v", st)
	}
}
