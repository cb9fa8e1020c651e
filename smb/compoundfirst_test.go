package smb

import (
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// TestCompoundFirstRelated: the first request of a compound has nothing
// to relate to (MS-SMB2 §3.3.5.2.7.2): with SMB2_FLAGS_RELATED_OPERATIONS
// it fails with STATUS_INVALID_PARAMETER even when it carries real session
// and tree ids, the related request after it fails the same way, and an
// unrelated CLOSE of the all-ones FileId is STATUS_FILE_CLOSED; the file
// is not created (smbtorture smb2.compound.invalid1).
func TestCompoundFirstRelated(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	setRelated := func(m []byte) []byte {
		binary.LittleEndian.PutUint32(m[16:], binary.LittleEndian.Uint32(m[16:])|uint32(wire.SMB2_FLAGS_RELATED_OPERATIONS))
		return m
	}
	all := wire.FileID{Persistent: ^uint64(0), Volatile: ^uint64(0)}
	c.sendFrame(
		setRelated(c.message(wire.SMB2_CREATE, createBody("inv1", wire.GENERIC_ALL, wire.FILE_OPEN_IF, 0), 1)),
		setRelated(c.message(wire.SMB2_CLOSE, closeBody(all), 1)),
		c.message(wire.SMB2_CLOSE, closeBody(all), 1),
	)
	rs, err := c.recv()
	if err != nil || len(rs) != 3 {
		t.Fatalf("%v, %d replies", err, len(rs))
	}
	want := []wire.Status{wire.STATUS_INVALID_PARAMETER, wire.STATUS_INVALID_PARAMETER, wire.STATUS_FILE_CLOSED}
	for i, r := range rs {
		if r.status() != want[i] {
			t.Errorf("reply %d: %v, want %v", i, r.status(), want[i])
		}
	}
	if _, st := c.create("inv1", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("the refused CREATE made the file: %v", st)
	}
}
