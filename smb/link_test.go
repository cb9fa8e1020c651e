package smb

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
	"github.com/dittofs/dittofs/store"
)

// TestSetLinkInformation: SET_INFO FileLinkInformation makes a hard link
// (MS-FSCC §2.4.27.2), with the failures of MS-FSA §2.1.5.15.6: a
// directory, a deleted open, a RootDirectory, an existing name without
// ReplaceIfExists, a short buffer; and when replacing, a directory or a
// file still open is refused.
func TestSetLinkInformation(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	mk := func(name string, opts uint32) wire.FileID {
		t.Helper()
		f, st := c.create(name, wire.GENERIC_ALL, wire.FILE_CREATE, opts)
		if st != wire.STATUS_SUCCESS {
			t.Fatalf("create %s: %v", name, st)
		}
		return f
	}
	f := mk("f", 0)
	if st := c.write(f, 0, []byte("content of f")); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	d := mk("d", wire.FILE_DIRECTORY_FILE)
	c.close(mk("other", 0))
	held := mk("open", 0) // stays open
	c.close(mk(`d\sub`, wire.FILE_DIRECTORY_FILE))
	gone := mk("gone", 0)
	if r := c.call(wire.SMB2_SET_INFO, setInfoBody(gone, wire.FileDispositionInformation, []byte{1})); r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	withRoot := append(Lay(uint8(0), make([]byte, 7), uint64(5), uint32(2)), UTF16LE("x")...)

	for _, tc := range []struct {
		name string
		fid  wire.FileID
		buf  []byte
		want wire.Status
	}{
		{"new name", f, renameBuf("g", false), wire.STATUS_SUCCESS},
		{"new name in a subdirectory", f, renameBuf(`d\h`, false), wire.STATUS_SUCCESS},
		{"existing name, no replace", f, renameBuf("other", false), wire.STATUS_OBJECT_NAME_COLLISION},
		{"its own other link, replace", f, renameBuf("g", true), wire.STATUS_SUCCESS},
		{"replace a closed file", f, renameBuf("other", true), wire.STATUS_SUCCESS},
		{"replace an open file", f, renameBuf("open", true), wire.STATUS_ACCESS_DENIED},
		{"replace a directory", f, renameBuf(`d\sub`, true), wire.STATUS_ACCESS_DENIED},
		{"a directory", d, renameBuf("d2", false), wire.STATUS_FILE_IS_A_DIRECTORY},
		{"delete pending", gone, renameBuf("gone2", false), wire.STATUS_ACCESS_DENIED},
		{"missing parent", f, renameBuf(`nodir\x`, false), wire.STATUS_OBJECT_PATH_NOT_FOUND},
		{"RootDirectory set", f, withRoot, wire.STATUS_INVALID_PARAMETER},
		{"short buffer", f, make([]byte, 12), wire.STATUS_INFO_LENGTH_MISMATCH},
	} {
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(tc.fid, wire.FileLinkInformation, tc.buf)); r.status() != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, r.status(), tc.want)
		}
	}
	// Every new name reads f's bytes, and the store counts the links.
	for _, name := range []string{"g", `d\h`, "other"} {
		g, st := c.create(name, wire.GENERIC_READ, wire.FILE_OPEN, 0)
		if st != wire.STATUS_SUCCESS {
			t.Fatalf("open %s: %v", name, st)
		}
		b, st := c.read(g, 0, 100)
		if st != wire.STATUS_SUCCESS || !bytes.Equal(b, []byte("content of f")) {
			t.Errorf("%s reads %q (%v), want f's content", name, b, st)
		}
		c.close(g)
	}
	_, a, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if a.Nlink != 4 {
		t.Errorf("f has %d links, want 4 (f, g, d/h, other)", a.Nlink)
	}
	if _, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "d2"); store.CodeOf(err) != store.CodeNotExist {
		t.Errorf("the refused directory link exists: %v", err)
	}
	c.close(held)
}
