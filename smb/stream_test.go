package smb

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// TestSplitStream: the stream syntax of a CREATE path (MS-FSCC §2.1.5:
// file:stream:type, the type $DATA compared without regard to case).
func TestSplitStream(t *testing.T) {
	for _, tc := range []struct {
		in, path, stream string
		data             bool
		st               wire.Status
	}{
		{`d\f`, `d\f`, "", false, wire.STATUS_SUCCESS},
		{`d\f::$DATA`, `d\f`, "", true, wire.STATUS_SUCCESS},
		{`f:s`, "f", "s", false, wire.STATUS_SUCCESS},
		{`f:Stream One:$DATA`, "f", "Stream One", false, wire.STATUS_SUCCESS},
		{`f:s:$data`, "f", "s", false, wire.STATUS_SUCCESS},
		{`f:s*?<>|"`, "f", `s*?<>|"`, false, wire.STATUS_SUCCESS},
		{`f:s:$FOO`, "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{`f::$FOO`, "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{`f:`, "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{`f:s:$DATA:x`, "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{`f:a/b`, "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{"f:a\x00", "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{"f:" + strings.Repeat("x", maxStreamName+1), "", "", false, wire.STATUS_OBJECT_NAME_INVALID},
		{`d:x\f`, `d:x\f`, "", false, wire.STATUS_SUCCESS}, // left to splitPath
	} {
		p, s, d, st := splitStream(tc.in)
		if p != tc.path || s != tc.stream || d != tc.data || st != tc.st {
			t.Errorf("%q: %q %q %v %v", tc.in, p, s, d, st)
		}
	}
}

// streamList reads FileStreamInformation (MS-FSCC §2.4.44) as name=size.
func streamList(t *testing.T, c *client, f wire.FileID) []string {
	t.Helper()
	r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileStreamInformation, 4096))
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("FileStreamInformation: %v", r.status())
	}
	b := output(r)
	var out []string
	for len(b) > 0 {
		next := binary.LittleEndian.Uint32(b)
		nl := binary.LittleEndian.Uint32(b[4:])
		size := binary.LittleEndian.Uint64(b[8:])
		name, err := wire.DecodeUTF16(b[24 : 24+nl])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, name+"="+string(rune('0'+size%10)))
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return out
}

func (c *client) createStream(name string, access, disp, opts, share uint32) (wire.FileID, wire.Status) {
	r := c.call(wire.SMB2_CREATE, createCtxBody(name, access, disp, opts, share))
	if r.status() != wire.STATUS_SUCCESS {
		return wire.FileID{}, r.status()
	}
	return createFID(r), r.status()
}

// TestStreamIO: a named stream is created with its file when the file
// does not exist, has its own data, size and end of file, is found
// without regard to case and listed by FileStreamInformation after
// "::$DATA"; the CREATE dispositions apply to the stream (MS-FSA
// §2.1.5.1.2.1); a stream cannot grow past the store's xattr size
// (STATUS_DISK_FULL); it is kept in the store as an xattr outside user.*.
func TestStreamIO(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	if _, st := c.createStream("f:s", wire.GENERIC_ALL, wire.FILE_OPEN, 0, shareAll); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("open of a stream of no file: %v", st)
	}
	s, st := c.createStream("f:s", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.write(s, 0, []byte("stream data")); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.write(s, 7, []byte("DATA!")); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if b, st := c.read(s, 0, 100); st != wire.STATUS_SUCCESS || string(b) != "stream DATA!" {
		t.Errorf("read %q %v", b, st)
	}
	if _, st := c.read(s, 12, 10); st != wire.STATUS_END_OF_FILE {
		t.Errorf("read at the end: %v", st)
	}
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.read(f, 0, 10); st != wire.STATUS_END_OF_FILE {
		t.Errorf("the file's data is not the stream's: %v", st)
	}
	if got := streamList(t, c, f); len(got) != 2 || got[0] != "::$DATA=0" || got[1] != ":s:$DATA=2" {
		t.Errorf("streams %q", got) // size 12: last digit 2
	}
	// Standard information of the stream open: the stream's size.
	std := output(c.call(wire.SMB2_QUERY_INFO, queryInfoBody(s, wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 24)))
	if n := binary.LittleEndian.Uint64(std[8:]); n != 12 {
		t.Errorf("EndOfFile %d", n)
	}
	// Case-insensitive name, $DATA type.
	s2, st := c.createStream("f:S:$DATA", wire.GENERIC_READ, wire.FILE_OPEN, 0, shareAll)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if b, _ := c.read(s2, 0, 100); string(b) != "stream DATA!" {
		t.Errorf("other case: %q", b)
	}
	// End of file.
	if st := c.call(wire.SMB2_SET_INFO, setInfoBody(s, wire.FileEndOfFileInformation, Lay64(3))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if b, _ := c.read(s, 0, 100); string(b) != "str" {
		t.Errorf("truncated: %q", b)
	}
	// Dispositions.
	for _, tc := range []struct {
		name string
		disp uint32
		opts uint32
		want wire.Status
	}{
		{"f:s", wire.FILE_CREATE, 0, wire.STATUS_OBJECT_NAME_COLLISION},
		{"f:new", wire.FILE_OPEN, 0, wire.STATUS_OBJECT_NAME_NOT_FOUND},
		{"f:new", wire.FILE_OVERWRITE, 0, wire.STATUS_OBJECT_NAME_NOT_FOUND},
		{"f:new", wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE, wire.STATUS_NOT_A_DIRECTORY},
		{"f:bad:$INDEX_ALLOCATION", wire.FILE_OPEN_IF, 0, wire.STATUS_OBJECT_NAME_INVALID},
	} {
		if _, st := c.createStream(tc.name, wire.GENERIC_ALL, tc.disp, tc.opts, shareAll); st != tc.want {
			t.Errorf("%s disp %d: %v, want %v", tc.name, tc.disp, st, tc.want)
		}
	}
	ow, st := c.createStream("f:s", wire.GENERIC_ALL, wire.FILE_OVERWRITE_IF, 0, shareAll)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.read(ow, 0, 10); st != wire.STATUS_END_OF_FILE {
		t.Errorf("overwritten stream not empty: %v", st)
	}
	// Bounded size.
	max := int(ts.fs.FsInfo().MaxXattrSize)
	if st := c.write(ow, uint64(max-1), []byte("xx")); st != wire.STATUS_DISK_FULL {
		t.Errorf("past the bound: %v", st)
	}
	if st := c.write(ow, uint64(max-1), []byte("x")); st != wire.STATUS_SUCCESS {
		t.Errorf("up to the bound: %v", st)
	}
	// The store's names.
	h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := ts.fs.ListXattr(context.Background(), &store.Cred{}, h)
	if len(names) != 1 || names[0] != "smb.stream.s" {
		t.Errorf("store names %q", names)
	}
	// Overwriting the file removes its streams.
	if _, st := c.create("f", wire.GENERIC_ALL, wire.FILE_OVERWRITE, 0); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if got := streamList(t, c, f); len(got) != 1 {
		t.Errorf("after overwrite: %q", got)
	}
}

// Lay64 is an int64 SET_INFO buffer.
func Lay64(n int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

// TestStreamDirectory: a directory may have named streams and has no
// unnamed data stream: "dir::$DATA" is STATUS_FILE_IS_A_DIRECTORY, with
// FILE_DIRECTORY_FILE STATUS_NOT_A_DIRECTORY, as smbtorture's
// smb2.streams.dir checks against smbd.
func TestStreamDirectory(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	d, st := c.create("d", wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.createStream("d::$DATA", wire.GENERIC_READ, wire.FILE_OPEN, 0, shareAll); st != wire.STATUS_FILE_IS_A_DIRECTORY {
		t.Errorf("d::$DATA: %v", st)
	}
	if _, st := c.createStream("d::$DATA", wire.GENERIC_READ, wire.FILE_OPEN, wire.FILE_DIRECTORY_FILE, shareAll); st != wire.STATUS_NOT_A_DIRECTORY {
		t.Errorf("d::$DATA as a directory: %v", st)
	}
	if got := streamList(t, c, d); len(got) != 0 {
		t.Errorf("directory streams %q", got)
	}
	s, st := c.createStream("d:s", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c.write(s, 0, []byte("x"))
	if got := streamList(t, c, d); len(got) != 1 || got[0] != ":s:$DATA=1" {
		t.Errorf("directory streams %q", got)
	}
}

// TestStreamShareModes: share modes apply per stream (MS-FSA
// §2.1.5.1.2): an open of a stream that denies sharing conflicts with
// another open of that stream, not with the file or its other streams.
func TestStreamShareModes(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	if _, st := c.createStream("f:a", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_CREATE, 0, 0); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.createStream("f:A", wire.GENERIC_READ, wire.FILE_OPEN, 0, shareAll); st != wire.STATUS_SHARING_VIOLATION {
		t.Errorf("same stream: %v", st)
	}
	if _, st := c.createStream("f:b", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_CREATE, 0, 0); st != wire.STATUS_SUCCESS {
		t.Errorf("other stream: %v", st)
	}
	if _, st := c.create("f", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0); st != wire.STATUS_SUCCESS {
		t.Errorf("the file: %v", st)
	}
}

// TestStreamDeleteRename: a stream open marked delete-on-close removes the
// stream and leaves the file; FileRenameInformation on a stream open
// renames the stream (":new"), onto an existing one only with
// ReplaceIfExists (STATUS_OBJECT_NAME_COLLISION), to "::$DATA" only when
// the file is empty or with ReplaceIfExists, the data moving into the
// file (MS-FSA §2.1.5.14.11); "file:stream" as target is
// STATUS_SHARING_VIOLATION, as smbd answers.
func TestStreamDeleteRename(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	d, st := c.createStream("f:gone", wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_DELETE_ON_CLOSE, shareAll)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c.close(d)
	if got := streamList(t, c, f); len(got) != 1 {
		t.Errorf("after delete on close: %q", got)
	}
	a, _ := c.createStream("f:a", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll)
	c.write(a, 0, []byte("aaa"))
	b, _ := c.createStream("f:b", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll)
	rename := func(h wire.FileID, to string, replace bool) wire.Status {
		return c.call(wire.SMB2_SET_INFO, setInfoBody(h, wire.FileRenameInformation, renameBuf(to, replace))).status()
	}
	if st := rename(a, ":b", false); st != wire.STATUS_OBJECT_NAME_COLLISION {
		t.Errorf("onto b: %v", st)
	}
	if st := rename(a, "f:c", false); st != wire.STATUS_SHARING_VIOLATION {
		t.Errorf("f:c: %v", st)
	}
	if st := rename(a, ":c:$DATA", false); st != wire.STATUS_SUCCESS {
		t.Errorf("to c: %v", st)
	}
	if got := streamList(t, c, f); len(got) != 3 || got[1] != ":b:$DATA=0" || got[2] != ":c:$DATA=3" {
		t.Errorf("after rename: %q", got)
	}
	if st := rename(b, ":c", true); st != wire.STATUS_SUCCESS {
		t.Errorf("b onto c with replace: %v", st)
	}
	if got := streamList(t, c, f); len(got) != 2 || got[1] != ":c:$DATA=0" {
		t.Errorf("after replace: %q", got)
	}
	// To the unnamed stream: the file is empty, so the data moves.
	c.write(b, 0, []byte("into the file"))
	if st := rename(b, "::$DATA", false); st != wire.STATUS_SUCCESS {
		t.Fatalf("to ::$DATA: %v", st)
	}
	if data, _ := c.read(f, 0, 100); !bytes.Equal(data, []byte("into the file")) {
		t.Errorf("file data %q", data)
	}
	a2, _ := c.createStream("f:x", wire.GENERIC_ALL, wire.FILE_CREATE, 0, shareAll)
	if st := rename(a2, "::$DATA", false); st != wire.STATUS_OBJECT_NAME_COLLISION {
		t.Errorf("to a non-empty ::$DATA: %v", st)
	}
}

// FuzzSplitStream: the stream syntax parser on any path: no panic, and a
// stream name it accepts is non-empty, bounded, free of '/', ':' and NUL,
// with the path a prefix of the input.
func FuzzSplitStream(f *testing.F) {
	for _, s := range []string{`d\f:s:$DATA`, "f::$DATA", "f:", `a:b\c:d`, ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		path, s, data, st := splitStream(p)
		if st != wire.STATUS_SUCCESS {
			return
		}
		if !strings.HasPrefix(p, path) || len(s) > maxStreamName || strings.ContainsAny(s, ":/\x00") || data && s != "" {
			t.Fatalf("%q: %q %q %v", p, path, s, data)
		}
	})
}
