package smb

import (
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// TestSetChangeTime: a ChangeTime set with FileBasicInformation (MS-FSA
// §2.1.5.14.2) is what FileBasicInformation, the CREATE response and the
// CLOSE post-query report until the file next changes, after which the
// store's ctime is the change time again (MS-FSCC §2.4.7: the time the
// file last changed). A caller who may set times but not write the file
// (the owner of a read-only file) still succeeds.
func TestSetChangeTime(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	const set = int64(130000000000000000) // 2012
	basic := func(change int64, attrs uint32) []byte {
		return Lay(int64(0), int64(0), int64(0), change, attrs, uint32(0))
	}
	changeOf := func(h wire.FileID) int64 {
		b := output(c.call(wire.SMB2_QUERY_INFO, queryInfoBody(h, wire.SMB2_0_INFO_FILE, wire.FileBasicInformation, 40)))
		return int64(binary.LittleEndian.Uint64(b[24:]))
	}
	if st := c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileBasicInformation, basic(set, 0))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if got := changeOf(f); got != set {
		t.Errorf("after set: %d", got)
	}
	r := c.call(wire.SMB2_CREATE, createBody("f", wire.GENERIC_ALL, wire.FILE_OPEN, 0))
	// CREATE response ChangeTime at offset 32 (MS-SMB2 §2.2.14).
	if got := int64(binary.LittleEndian.Uint64(r.body[32:])); r.status() != wire.STATUS_SUCCESS || got != set {
		t.Errorf("CREATE response: %v %d", r.status(), got)
	}
	if st := c.write(f, 0, []byte("x")); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if got := changeOf(f); got == set {
		t.Error("a write did not move the change time")
	}
	// The owner of a read-only file sets times without write permission.
	if st := c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileBasicInformation, basic(0, wire.FILE_ATTRIBUTE_READONLY))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileBasicInformation, basic(set, wire.FILE_ATTRIBUTE_READONLY))).status(); st != wire.STATUS_SUCCESS {
		t.Errorf("read-only file: %v", st)
	}
}
