package smb

import (
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// TestQueryInfoShortBuffer: for the classes with a variable part, a buffer
// smaller than the fixed part rounded up to 8 (MS-FSA §2.1.5.11.2
// FileAllInformation, §2.1.5.11.29 FileStreamInformation, §2.1.5.12.3
// FileFsAttributeInformation, §2.1.5.12.11 FileFsVolumeInformation:
// BlockAlign(FieldOffset(variable field), 8) or sizeof the structure) is
// STATUS_INFO_LENGTH_MISMATCH; from that size up to the whole answer the
// data is truncated with STATUS_BUFFER_OVERFLOW (MS-SMB2 §3.3.5.20.1), as
// smbtorture smb2.getinfo.qfs_buffercheck and qfile_buffercheck check
// byte by byte.
func TestQueryInfoShortBuffer(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("a-longer-file-name", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	for _, tc := range []struct {
		typ, class uint8
		fixed      int
	}{
		{wire.SMB2_0_INFO_FILE, wire.FileAllInformation, 104},
		{wire.SMB2_0_INFO_FILE, wire.FileStreamInformation, 32},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsVolumeInformation, 24},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsAttributeInformation, 16},
	} {
		full := output(c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, tc.typ, tc.class, 4096)))
		if len(full) <= tc.fixed {
			t.Fatalf("class %d/%d: %d bytes, no variable part to truncate", tc.typ, tc.class, len(full))
		}
		for n := 0; n <= len(full); n++ {
			r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, tc.typ, tc.class, uint32(n)))
			want := wire.STATUS_SUCCESS
			switch {
			case n < tc.fixed:
				want = wire.STATUS_INFO_LENGTH_MISMATCH
			case n < len(full):
				want = wire.STATUS_BUFFER_OVERFLOW
			}
			if r.status() != want {
				t.Errorf("class %d/%d, buffer %d of %d: %v, want %v", tc.typ, tc.class, n, len(full), r.status(), want)
				break
			}
			if want != wire.STATUS_INFO_LENGTH_MISMATCH && len(output(r)) != n {
				t.Errorf("class %d/%d, buffer %d: %d bytes back", tc.typ, tc.class, n, len(output(r)))
				break
			}
		}
	}
}
