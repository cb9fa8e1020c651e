package smb

import (
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// TestWriteLimits: a zero-length WRITE succeeds at any offset up to
// 2^63-1 without touching the file; past 2^63-1 it is
// STATUS_INVALID_PARAMETER (MS-SMB2 §3.3.5.13, MS-FSA §2.1.5.3); a WRITE
// ending past NTFS's largest file (16 TiB - 64 KiB) is
// STATUS_INVALID_PARAMETER, one ending exactly there succeeds, as smbd
// answers (smbtorture smb2.rw.invalid).
func TestWriteLimits(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("w", rw, wire.FILE_OPEN_IF, 0)
	const i64max = 1<<63 - 1
	for _, tc := range []struct {
		off  uint64
		n    int
		want wire.Status
	}{
		{i64max, 0, wire.STATUS_SUCCESS},
		{i64max, 1, wire.STATUS_INVALID_PARAMETER},
		{i64max + 1, 0, wire.STATUS_INVALID_PARAMETER},
		{maxFileSize, 1, wire.STATUS_INVALID_PARAMETER},
		{maxFileSize - 1, 2, wire.STATUS_INVALID_PARAMETER},
		{maxFileSize - 1, 1, wire.STATUS_SUCCESS},
		{maxFileSize, 0, wire.STATUS_SUCCESS},
	} {
		r := c.call(wire.SMB2_WRITE, writeBody(f, tc.off, make([]byte, tc.n)))
		if r.status() != tc.want {
			t.Errorf("WRITE of %d bytes at %#x: %v, want %v", tc.n, tc.off, r.status(), tc.want)
			continue
		}
		if tc.want == wire.STATUS_SUCCESS && binary.LittleEndian.Uint32(r.body[4:]) != uint32(tc.n) {
			t.Errorf("WRITE of %d bytes at %#x: Count %d", tc.n, tc.off, binary.LittleEndian.Uint32(r.body[4:]))
		}
	}
	if got := c.size(f); got != maxFileSize {
		t.Errorf("size %#x, want %#x (zero-length writes do not extend)", got, uint64(maxFileSize))
	}
}
