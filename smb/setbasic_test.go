package smb

import (
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// TestSetBasicAttributeChecks: MS-FSA §2.1.5.14.2 fails a
// FileBasicInformation that makes a directory TEMPORARY or gives a file
// the DIRECTORY attribute with STATUS_INVALID_PARAMETER (smbtorture
// smb2.create.dosattr_tmp_dir); the same attributes on the other kind of
// object are accepted.
func TestSetBasicAttributeChecks(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	d, st := c.create("d", wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	basic := func(attrs uint32) []byte { return Lay(int64(0), int64(0), int64(0), int64(0), attrs, uint32(0)) }
	for _, tc := range []struct {
		name  string
		fid   wire.FileID
		attrs uint32
		want  wire.Status
	}{
		{"temporary directory", d, wire.FILE_ATTRIBUTE_TEMPORARY, wire.STATUS_INVALID_PARAMETER},
		{"temporary directory with the directory bit", d, wire.FILE_ATTRIBUTE_TEMPORARY | wire.FILE_ATTRIBUTE_DIRECTORY, wire.STATUS_INVALID_PARAMETER},
		{"file with the directory bit", f, wire.FILE_ATTRIBUTE_DIRECTORY, wire.STATUS_INVALID_PARAMETER},
		{"temporary file", f, wire.FILE_ATTRIBUTE_TEMPORARY, wire.STATUS_SUCCESS},
		{"directory with the directory bit", d, wire.FILE_ATTRIBUTE_DIRECTORY, wire.STATUS_SUCCESS},
	} {
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(tc.fid, wire.FileBasicInformation, basic(tc.attrs))); r.status() != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, r.status(), tc.want)
		}
	}
}
