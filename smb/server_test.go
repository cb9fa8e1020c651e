package smb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
	"github.com/dittofs/dittofs/store"
)

var allDialects = []wire.Dialect{wire.SMB2_DIALECT_202, wire.SMB2_DIALECT_210, wire.SMB2_DIALECT_300,
	wire.SMB2_DIALECT_302, wire.SMB2_DIALECT_311}

// TestNegotiateEachDialect negotiates each dialect alone and then logs on
// and connects, signed (MS-SMB2 §3.3.5.4: the server picks the highest
// common dialect; §3.3.5.5.3 keys per dialect).
func TestNegotiateEachDialect(t *testing.T) {
	ts := startServer(t)
	for _, d := range allDialects {
		c := ts.dial()
		r := c.negotiate(d)
		if r.status() != wire.STATUS_SUCCESS || c.dialect != d {
			t.Fatalf("dialect %#x: status %v, got %#x", d, r.status(), c.dialect)
		}
		secMode := binary.LittleEndian.Uint16(r.body[2:])
		if secMode != wire.SMB2_NEGOTIATE_SIGNING_ENABLED|wire.SMB2_NEGOTIATE_SIGNING_REQUIRED {
			t.Errorf("dialect %#x: SecurityMode %#x, want signing required", d, secMode)
		}
		if st := c.login(testUser, testPassword); st != wire.STATUS_SUCCESS {
			t.Fatalf("dialect %#x: login: %v", d, st)
		}
		if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
			t.Fatalf("dialect %#x: tree connect: %v", d, st)
		}
	}
	// All offered: the highest, with GCM and GMAC preferred.
	c := ts.dial()
	c.negotiate(allDialects...)
	if c.dialect != wire.SMB2_DIALECT_311 || c.cipher != smbcrypto.CipherAES128GCM || c.signAlg != smbcrypto.SigningAESGMAC {
		t.Fatalf("got dialect %#x cipher %v signing %v", c.dialect, c.cipher, c.signAlg)
	}
}

// TestNegotiateBounds: MinDialect and MaxDialect limit the choice; no
// common dialect is STATUS_NOT_SUPPORTED (MS-SMB2 §3.3.5.4).
func TestNegotiateBounds(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MinDialect, s.MaxDialect = Dialect210, Dialect300 })
	c := ts.dial()
	c.negotiate(allDialects...)
	if c.dialect != wire.SMB2_DIALECT_300 {
		t.Fatalf("got %#x, want 3.0", c.dialect)
	}
	if r := ts.dial().negotiate(wire.SMB2_DIALECT_202); r.status() != wire.STATUS_NOT_SUPPORTED {
		t.Fatalf("2.0.2 below MinDialect: %v", r.status())
	}
	if r := ts.dial().negotiate(wire.SMB2_DIALECT_311); r.status() != wire.STATUS_NOT_SUPPORTED {
		t.Fatalf("3.1.1 above MaxDialect: %v", r.status())
	}
}

// TestNegotiate311NeedsPreauth: a 3.1.1 NEGOTIATE without a SHA-512
// preauth integrity context fails (MS-SMB2 §3.3.5.4).
func TestNegotiate311NeedsPreauth(t *testing.T) {
	ts := startServer(t)
	c := ts.dial()
	body := negotiateBody(1, 0, []wire.Dialect{wire.SMB2_DIALECT_311}, nil, nil)
	// Point the context offset nowhere and the count at zero.
	binary.LittleEndian.PutUint32(body[28:], 0)
	binary.LittleEndian.PutUint16(body[32:], 0)
	body = body[:36+2]
	if r := c.callCharge(wire.SMB2_NEGOTIATE, body, 0); r.status() != wire.STATUS_INVALID_PARAMETER {
		t.Fatalf("got %v", r.status())
	}
}

// TestSMB1Upgrade: an SMB1 NEGOTIATE offering "SMB 2.???" is answered
// with an SMB2 NEGOTIATE response of dialect 0x02FF, and the client then
// negotiates with MessageId 1 (MS-SMB2 §3.3.5.3.1).
func TestSMB1Upgrade(t *testing.T) {
	ts := startServer(t)
	c := ts.dial()
	dialects := []byte("\x02NT LM 0.12\x00\x02SMB 2.002\x00\x02SMB 2.???\x00")
	smb1 := Lay([]byte{0xFF, 'S', 'M', 'B'}, uint8(0x72), uint32(0), uint8(0x18), uint16(0xC853), make([]byte, 12),
		uint16(0), uint16(0xFEFF), uint16(0), uint16(0), uint8(0), uint16(len(dialects)), dialects)
	if err := wire.WriteFrame(c.nc, smb1); err != nil {
		t.Fatal(err)
	}
	rs, err := c.recv()
	if err != nil {
		t.Fatal(err)
	}
	if d := binary.LittleEndian.Uint16(rs[0].body[4:]); d != uint16(wire.SMB2_DIALECT_WILDCARD) {
		t.Fatalf("dialect %#x", d)
	}
	c.msgID = 1
	if r := c.negotiate(wire.SMB2_DIALECT_311); r.status() != wire.STATUS_SUCCESS || c.dialect != wire.SMB2_DIALECT_311 {
		t.Fatalf("second negotiate: %v %#x", r.status(), c.dialect)
	}
}

// TestSessionSetup: the right password logs on; a wrong one, an unknown
// user and an anonymous logon get STATUS_LOGON_FAILURE (MS-SMB2
// §3.3.5.5.3; guest and anonymous access are off).
func TestSessionSetup(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct {
		user, password string
		want           wire.Status
	}{
		{testUser, testPassword, wire.STATUS_SUCCESS},
		{"ALICE", testPassword, wire.STATUS_SUCCESS},
		{testUser, "wrong", wire.STATUS_LOGON_FAILURE},
		{"bob", testPassword, wire.STATUS_LOGON_FAILURE},
		{"", "", wire.STATUS_LOGON_FAILURE},
	} {
		c := ts.dial()
		c.negotiate(wire.SMB2_DIALECT_311)
		if st := c.login(tc.user, tc.password); st != tc.want {
			t.Errorf("%q/%q: got %v, want %v", tc.user, tc.password, st, tc.want)
		}
	}
}

// TestSigningRequired: with signing required (the default), an unsigned
// request and one with a bad signature are refused with
// STATUS_ACCESS_DENIED, and replies are signed (MS-SMB2 §3.3.5.2.4).
func TestSigningRequired(t *testing.T) {
	ts := startServer(t)
	for _, d := range []wire.Dialect{wire.SMB2_DIALECT_210, wire.SMB2_DIALECT_302, wire.SMB2_DIALECT_311} {
		c := ts.dial()
		c.negotiate(d)
		if st := c.login(testUser, testPassword); st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		c.noSign = true
		if st := c.treeConnect("export"); st != wire.STATUS_ACCESS_DENIED {
			t.Fatalf("%#x unsigned: %v", d, st)
		}
		c.noSign = false
		// A signed message altered after signing.
		msg := c.message(wire.SMB2_TREE_CONNECT, treeConnectBody(`\\x\export`), 1)
		if err := c.signer.Sign(msg); err != nil {
			t.Fatal(err)
		}
		msg[len(msg)-1] ^= 1
		if err := wire.WriteFrame(c.nc, msg); err != nil {
			t.Fatal(err)
		}
		rs, err := c.recv()
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].status() != wire.STATUS_ACCESS_DENIED {
			t.Fatalf("%#x bad signature: %v", d, rs[0].status())
		}
		r := c.call(wire.SMB2_TREE_CONNECT, treeConnectBody(`\\x\export`))
		if r.status() != wire.STATUS_SUCCESS || !r.h.IsSigned() {
			t.Fatalf("%#x signed: %v signed=%v", d, r.status(), r.h.IsSigned())
		}
	}
}

// TestAllowUnsigned: a server that does not require signing serves a
// client that does not sign.
func TestAllowUnsigned(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowUnsigned = true })
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_210)
	c.login(testUser, testPassword)
	c.noSign = true
	if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
}

// TestEncryption: with EncryptData a 3.x session is encrypted: an
// unencrypted request is refused, an encrypted one served with an
// encrypted reply; a 2.1 client is refused at SESSION_SETUP (MS-SMB2
// §3.3.5.2.9, §3.3.5.5.3).
func TestEncryption(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.EncryptData = true })
	for _, d := range []wire.Dialect{wire.SMB2_DIALECT_300, wire.SMB2_DIALECT_311} {
		c := ts.dial()
		c.negotiate(d)
		if st := c.login(testUser, testPassword); st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		if st := c.treeConnect("export"); st != wire.STATUS_ACCESS_DENIED {
			t.Fatalf("%#x unencrypted: %v", d, st)
		}
		c.encrypt = true
		if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
			t.Fatalf("%#x encrypted: %v", d, st)
		}
		f, st := c.create("enc", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_CREATE, 0)
		if st != wire.STATUS_SUCCESS || c.write(f, 0, []byte("secret")) != wire.STATUS_SUCCESS {
			t.Fatalf("%#x create/write: %v", d, st)
		}
		if got, _ := c.read(f, 0, 6); string(got) != "secret" {
			t.Fatalf("read %q", got)
		}
		c.close(f)
		f, _ = c.create("enc", wire.DELETE, wire.FILE_OPEN, wire.FILE_DELETE_ON_CLOSE)
		c.close(f)
	}
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_210)
	if st := c.login(testUser, testPassword); st != wire.STATUS_ACCESS_DENIED {
		t.Fatalf("2.1 with encryption required: %v", st)
	}
}

// TestEncryptShare: a share in EncryptShares needs an encrypting session.
func TestEncryptShare(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.EncryptShares = []string{"/export"} })
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_210)
	c.login(testUser, testPassword)
	if st := c.treeConnect("export"); st != wire.STATUS_ACCESS_DENIED {
		t.Fatalf("2.1: %v", st)
	}
	if st := c.treeConnect("ro"); st != wire.STATUS_SUCCESS {
		t.Fatalf("other share: %v", st)
	}
	c = ts.dial()
	c.negotiate(wire.SMB2_DIALECT_311)
	c.login(testUser, testPassword)
	c.encrypt = true
	if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
		t.Fatalf("3.1.1 encrypted: %v", st)
	}
}

// TestTreeConnect: share names are export names without the slash, in
// any case; others are STATUS_BAD_NETWORK_NAME; IPC$ connects, and
// opening a pipe other than srvsvc on it is STATUS_OBJECT_NAME_NOT_FOUND
// (MS-SMB2 §3.3.5.7; pipe_test.go tests srvsvc).
func TestTreeConnect(t *testing.T) {
	ts := startServer(t)
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_311)
	c.login(testUser, testPassword)
	for share, want := range map[string]wire.Status{
		"export": wire.STATUS_SUCCESS, "EXPORT": wire.STATUS_SUCCESS, "nope": wire.STATUS_BAD_NETWORK_NAME,
		"": wire.STATUS_BAD_NETWORK_NAME, "IPC$": wire.STATUS_SUCCESS,
	} {
		if st := c.treeConnect(share); st != want {
			t.Errorf("%q: %v, want %v", share, st, want)
		}
	}
	c.treeConnect("IPC$")
	if _, st := c.create("lsarpc", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Fatalf("pipe open: %v", st)
	}
	r := c.call(wire.SMB2_TREE_DISCONNECT, Lay(uint16(4), uint16(0)))
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	if _, st := c.create("x", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_NETWORK_NAME_DELETED {
		t.Fatalf("after disconnect: %v", st)
	}
}

// TestFiles: create, write, read, close, list, rename and delete, and the
// same bytes through the store.FS that NFS serves.
func TestFiles(t *testing.T) {
	ts := startServer(t)
	for _, d := range []wire.Dialect{wire.SMB2_DIALECT_202, wire.SMB2_DIALECT_311} {
		c := ts.connect(d)
		dir, st := c.create("dir", wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE)
		if st != wire.STATUS_SUCCESS {
			t.Fatalf("mkdir: %v", st)
		}
		if _, st := c.create("dir", wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE); st != wire.STATUS_OBJECT_NAME_COLLISION {
			t.Fatalf("mkdir again: %v", st)
		}
		f, st := c.create(`dir\a.txt`, wire.GENERIC_READ|wire.GENERIC_WRITE|wire.DELETE, wire.FILE_OVERWRITE_IF, wire.FILE_NON_DIRECTORY_FILE)
		if st != wire.STATUS_SUCCESS {
			t.Fatalf("create: %v", st)
		}
		data := bytes.Repeat([]byte("0123456789abcdef"), 8192) // 128 KiB: two 64 KiB writes on 2.0.2
		for off := 0; off < len(data); off += 64 << 10 {
			if st := c.write(f, uint64(off), data[off:off+64<<10]); st != wire.STATUS_SUCCESS {
				t.Fatalf("write: %v", st)
			}
		}
		got, st := c.read(f, 0, 64<<10)
		if st != wire.STATUS_SUCCESS || !bytes.Equal(got, data[:64<<10]) {
			t.Fatalf("read: %v, %d bytes", st, len(got))
		}
		if _, st := c.read(f, uint64(len(data)), 10); st != wire.STATUS_END_OF_FILE {
			t.Fatalf("read at EOF: %v", st)
		}
		// The same bytes through the store (what NFS reads).
		h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "dir")
		if err != nil {
			t.Fatal(err)
		}
		h, a, err := ts.fs.Lookup(context.Background(), &store.Cred{}, h, "a.txt")
		if err != nil || a.Size != uint64(len(data)) || a.UID != 1000 || a.GID != 1000 {
			t.Fatalf("store: %v %+v", err, a)
		}
		buf := make([]byte, len(data))
		if n, _, _, err := ts.fs.ReadAt(context.Background(), &store.Cred{}, h, buf, 0); err != nil || !bytes.Equal(buf[:n], data) {
			t.Fatalf("store read: %v", err)
		}
		if c.close(f) != wire.STATUS_SUCCESS || c.close(f) != wire.STATUS_FILE_CLOSED {
			t.Fatal("close twice")
		}
		names, st := c.list(dir, "*")
		if st != wire.STATUS_SUCCESS || !slices.Equal(names, []string{".", "..", "a.txt"}) {
			t.Fatalf("list: %v %q", st, names)
		}
		if names, _ := c.list(dir, "*.TXT"); !slices.Equal(names, []string{"a.txt"}) {
			t.Fatalf("list *.TXT: %q", names)
		}
		r := c.call(wire.SMB2_QUERY_DIRECTORY, queryDirBody(dir, wire.FileIdBothDirectoryInformation, wire.SMB2_RESTART_SCANS, "zz*", 65536))
		if r.status() != wire.STATUS_NO_SUCH_FILE {
			t.Fatalf("no match: %v", r.status())
		}
		// Rename, then delete through the disposition.
		f, _ = c.create(`dir\a.txt`, wire.DELETE|wire.FILE_READ_ATTRIBUTES, wire.FILE_OPEN, 0)
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileRenameInformation, renameBuf(`dir\b.txt`, false))); r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("rename: %v", r.status())
		}
		r = c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileAllInformation, 4096))
		if r.status() != wire.STATUS_SUCCESS || !bytes.HasSuffix(output(r), UTF16LE(`\dir\b.txt`)) {
			t.Fatalf("all info: %v %q", r.status(), output(r))
		}
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileDispositionInformation, []byte{1})); r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("disposition: %v", r.status())
		}
		// The directory is not empty yet.
		dd, _ := c.create("dir", wire.DELETE, wire.FILE_OPEN, wire.FILE_DIRECTORY_FILE)
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(dd, wire.FileDispositionInformation, []byte{1})); r.status() != wire.STATUS_DIRECTORY_NOT_EMPTY {
			t.Fatalf("rmdir non-empty: %v", r.status())
		}
		c.close(f)
		if r := c.call(wire.SMB2_SET_INFO, setInfoBody(dd, wire.FileDispositionInformation, []byte{1})); r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("rmdir: %v", r.status())
		}
		c.close(dd)
		c.close(dir)
		if _, st := c.create("dir", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
			t.Fatalf("after delete: %v", st)
		}
		if _, st := c.create(`nodir\x`, wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_PATH_NOT_FOUND {
			t.Fatalf("missing parent: %v", st)
		}
	}
}

// TestReadOnlyShare: a read-only export refuses creation and write access.
func TestReadOnlyShare(t *testing.T) {
	ts := startServer(t)
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_311)
	c.login(testUser, testPassword)
	c.treeConnect("ro")
	if _, st := c.create("new", wire.GENERIC_WRITE, wire.FILE_CREATE, 0); st != wire.STATUS_ACCESS_DENIED {
		t.Fatalf("create: %v", st)
	}
	if _, st := c.create("", wire.GENERIC_WRITE, wire.FILE_OPEN, 0); st != wire.STATUS_ACCESS_DENIED {
		t.Fatalf("write open: %v", st)
	}
	if _, st := c.create("", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_SUCCESS {
		t.Fatalf("read open: %v", st)
	}
}

// TestQueryInfoClasses: every file and file system class served answers
// with its fixed size, and a too-small buffer is
// STATUS_INFO_LENGTH_MISMATCH (MS-SMB2 §3.3.5.20.1).
func TestQueryInfoClasses(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("f", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS || c.write(f, 0, []byte("hello")) != wire.STATUS_SUCCESS {
		t.Fatalf("create: %v", st)
	}
	for _, tc := range []struct {
		typ, class uint8
		size       int
	}{
		{wire.SMB2_0_INFO_FILE, wire.FileBasicInformation, 40},
		{wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 24},
		{wire.SMB2_0_INFO_FILE, wire.FileInternalInformation, 8},
		{wire.SMB2_0_INFO_FILE, wire.FileEaInformation, 4},
		{wire.SMB2_0_INFO_FILE, wire.FileAccessInformation, 4},
		{wire.SMB2_0_INFO_FILE, wire.FilePositionInformation, 8},
		{wire.SMB2_0_INFO_FILE, wire.FileModeInformation, 4},
		{wire.SMB2_0_INFO_FILE, wire.FileAlignmentInformation, 4},
		{wire.SMB2_0_INFO_FILE, wire.FileAllInformation, 100 + 4}, // name \\f
		{wire.SMB2_0_INFO_FILE, wire.FileNetworkOpenInformation, 56},
		{wire.SMB2_0_INFO_FILE, wire.FileAttributeTagInformation, 8},
		{wire.SMB2_0_INFO_FILE, wire.FileStreamInformation, 24 + 14},
		{wire.SMB2_0_INFO_FILE, wire.FileNormalizedNameInformation, 4 + 2},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsVolumeInformation, 18 + 12},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsSizeInformation, 24},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsFullSizeInformation, 32},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsDeviceInformation, 8},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsAttributeInformation, 12 + 8},
		{wire.SMB2_0_INFO_FILESYSTEM, wire.FileFsSectorSizeInformation, 28},
	} {
		r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, tc.typ, tc.class, 4096))
		if r.status() != wire.STATUS_SUCCESS || len(output(r)) != tc.size {
			t.Errorf("class %d/%d: %v, %d bytes, want %d", tc.typ, tc.class, r.status(), len(output(r)), tc.size)
		}
	}
	r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 8))
	if r.status() != wire.STATUS_INFO_LENGTH_MISMATCH {
		t.Errorf("short buffer: %v", r.status())
	}
	// Below BlockAlign(100, 8): TestQueryInfoShortBuffer has the rest.
	r = c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileAllInformation, 101))
	if r.status() != wire.STATUS_INFO_LENGTH_MISMATCH {
		t.Errorf("short all info: %v", r.status())
	}
	// EndOfFile through SET_INFO, seen in Standard.
	c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FileEndOfFileInformation, Lay(int64(3))))
	r = c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 4096))
	if eof := binary.LittleEndian.Uint64(output(r)[8:]); eof != 3 {
		t.Errorf("EndOfFile %d", eof)
	}
}

// TestCompound: a related CREATE, WRITE, CLOSE chain uses the FileId the
// CREATE made (MS-SMB2 §3.3.5.2.7.2), and a related chain after a failed
// CREATE fails with its status.
func TestCompound(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	related := func(m []byte) []byte {
		binary.LittleEndian.PutUint32(m[16:], binary.LittleEndian.Uint32(m[16:])|uint32(wire.SMB2_FLAGS_RELATED_OPERATIONS))
		binary.LittleEndian.PutUint64(m[40:], ^uint64(0))
		binary.LittleEndian.PutUint32(m[36:], ^uint32(0))
		return m
	}
	all := wire.FileID{Persistent: ^uint64(0), Volatile: ^uint64(0)}
	c.sendFrame(
		c.message(wire.SMB2_CREATE, createBody("cf", wire.GENERIC_ALL, wire.FILE_CREATE, 0), 1),
		related(c.message(wire.SMB2_WRITE, writeBody(all, 0, []byte("compound")), 1)),
		related(c.message(wire.SMB2_CLOSE, closeBody(all), 1)),
	)
	rs, err := c.recv()
	if err != nil || len(rs) != 3 {
		t.Fatalf("%v, %d replies", err, len(rs))
	}
	for i, r := range rs {
		if r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("reply %d: %v", i, r.status())
		}
	}
	// A failed CREATE: the related WRITE gets the same error.
	c.sendFrame(
		c.message(wire.SMB2_CREATE, createBody("cf", wire.GENERIC_ALL, wire.FILE_CREATE, 0), 1),
		related(c.message(wire.SMB2_WRITE, writeBody(all, 0, []byte("x")), 1)),
	)
	rs, _ = c.recv()
	if rs[0].status() != wire.STATUS_OBJECT_NAME_COLLISION || rs[1].status() != wire.STATUS_OBJECT_NAME_COLLISION {
		t.Fatalf("got %v, %v", rs[0].status(), rs[1].status())
	}
	// Unrelated: two ECHOs.
	c.sendFrame(c.message(wire.SMB2_ECHO, Lay(uint16(4), uint16(0)), 1), c.message(wire.SMB2_ECHO, Lay(uint16(4), uint16(0)), 1))
	if rs, _ := c.recv(); len(rs) != 2 || rs[1].status() != wire.STATUS_SUCCESS {
		t.Fatalf("echo compound: %+v", rs)
	}
	h, a, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "cf")
	buf := make([]byte, 16)
	n, _, _, _ := ts.fs.ReadAt(context.Background(), &store.Cred{}, h, buf, 0)
	if err != nil || a.Size != 8 || string(buf[:n]) != "compound" {
		t.Fatalf("store: %v %q", err, buf[:n])
	}
}

// TestUnknownCommand: commands not served get STATUS_NOT_SUPPORTED.
func TestUnknownCommand(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	for _, cmd := range []wire.Command{0x0013, 0x00FF} {
		if r := c.call(cmd, Lay(uint16(4), uint16(0))); r.status() != wire.STATUS_NOT_SUPPORTED {
			t.Errorf("%v: %v", cmd, r.status())
		}
	}
}

// TestCredits: the server grants what the client asks within MaxCredits;
// a message id outside the window ends the connection (MS-SMB2
// §3.3.5.2.3), and a READ must be charged for its size (§3.3.5.2.5).
func TestCredits(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxCredits = 8 })
	c := ts.connect(wire.SMB2_DIALECT_311)
	c.creditReq = 100
	r := c.call(wire.SMB2_ECHO, Lay(uint16(4), uint16(0)))
	if r.h.Credits == 0 || r.h.Credits > 8 {
		t.Fatalf("granted %d", r.h.Credits)
	}
	f, _ := c.create("c", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if r := c.callCharge(wire.SMB2_READ, readBody(f, 0, 128<<10), 1); r.status() != wire.STATUS_INVALID_PARAMETER {
		t.Fatalf("undercharged read: %v", r.status())
	}
	d, _ := c.create("", wire.GENERIC_READ, wire.FILE_OPEN, 0)
	if r := c.callCharge(wire.SMB2_QUERY_DIRECTORY, queryDirBody(d, wire.FileIdBothDirectoryInformation, 0, "*", 1<<20), 1); r.status() != wire.STATUS_INVALID_PARAMETER {
		t.Fatalf("undercharged query directory: %v", r.status())
	}
	c.msgID += 1000
	c.sendFrame(c.message(wire.SMB2_ECHO, Lay(uint16(4), uint16(0)), 1))
	if !c.closed() {
		t.Fatal("connection not closed after a message id outside the window")
	}
}

// TestLogoff: after LOGOFF the session is gone (MS-SMB2 §3.3.5.6).
func TestLogoff(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	if r := c.call(wire.SMB2_LOGOFF, Lay(uint16(4), uint16(0))); r.status() != wire.STATUS_SUCCESS {
		t.Fatal(r.status())
	}
	// A signed request on the logged-off session gets a signed
	// STATUS_USER_SESSION_DELETED (smbtorture smb2.connect checks it).
	if r := c.call(wire.SMB2_LOGOFF, Lay(uint16(4), uint16(0))); r.status() != wire.STATUS_USER_SESSION_DELETED || !r.h.IsSigned() {
		t.Fatalf("after logoff: %v signed=%v", r.status(), r.h.IsSigned())
	}
}

// TestValidateNegotiate: FSCTL_VALIDATE_NEGOTIATE_INFO answers with the
// negotiated values, and a mismatch ends the connection (MS-SMB2
// §3.3.5.15.12).
func TestValidateNegotiate(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_302)
	ioctl := func(in []byte) []byte {
		all := wire.FileID{Persistent: ^uint64(0), Volatile: ^uint64(0)}
		return append(Lay(uint16(57), uint16(0), uint32(wire.FSCTL_VALIDATE_NEGOTIATE_INFO), fid(all), uint32(120), uint32(len(in)),
			uint32(0), uint32(0), uint32(0), uint32(24), uint32(wire.SMB2_0_IOCTL_IS_FSCTL), uint32(0)), in...)
	}
	good := Lay(uint32(wire.SMB2_GLOBAL_CAP_ENCRYPTION), make([]byte, 16), uint16(wire.SMB2_NEGOTIATE_SIGNING_ENABLED), uint16(1), uint16(wire.SMB2_DIALECT_302))
	r := c.call(wire.SMB2_IOCTL, ioctl(good))
	if r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("validate: %v", r.status())
	}
	bad := slices.Clone(good)
	bad[len(bad)-1] = 0x02 // claims 2.x was negotiated
	c.sendFrame(c.message(wire.SMB2_IOCTL, ioctl(bad), 1))
	c.recv()
	if !c.closed() {
		t.Fatal("connection not closed after a mismatch")
	}
}

// TestMaxSessions: past MaxSessionsPerConn SESSION_SETUP is refused.
func TestMaxSessions(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxSessionsPerConn = 1 })
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_311)
	c.login(testUser, testPassword)
	c.sessionID, c.signer = 0, nil
	if st := c.login(testUser, testPassword); st != wire.STATUS_INSUFFICIENT_RESOURCES {
		t.Fatalf("second session: %v", st)
	}
}

// TestMaxOpens: past MaxOpensPerSession CREATE is refused.
func TestMaxOpens(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxOpensPerSession = 2 })
	c := ts.connect(wire.SMB2_DIALECT_311)
	c.create("", wire.GENERIC_READ, wire.FILE_OPEN, 0)
	c.create("", wire.GENERIC_READ, wire.FILE_OPEN, 0)
	if _, st := c.create("", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_TOO_MANY_OPENED_FILES {
		t.Fatalf("third open: %v", st)
	}
}

// TestCodeStatusTotal: the store-error table has every store.Code.
func TestCodeStatusTotal(t *testing.T) {
	for _, code := range store.Codes() {
		if _, ok := codeStatus[code]; !ok {
			t.Errorf("no status for %v", code)
		}
	}
}

// TestMatchPattern checks the search-pattern matcher (MS-FSA §2.1.4.4).
func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		p, n string
		want bool
	}{
		{"*", "x", true}, {"*.*", "noext", true}, {"*.txt", "A.TXT", true}, {"a?c", "abc", true},
		{"a?c", "abbc", false}, {"a*c*e", "abcde", true}, {"a*c*e", "abcd", false}, {"exact", "Exact", true},
		{"<.txt", "x.txt", true}, {"", "x", false},
	} {
		if got := matchPattern(tc.p, tc.n); got != tc.want {
			t.Errorf("match(%q, %q) = %v", tc.p, tc.n, got)
		}
	}
}

func createShareBody(name string, access, share uint32) []byte {
	b := createBody(name, access, wire.FILE_OPEN_IF, 0)
	binary.LittleEndian.PutUint32(b[32:], share) // ShareAccess
	return b
}

func (c *client) createShare(name string, access, share uint32) (wire.FileID, wire.Status) {
	c.t.Helper()
	r := c.call(wire.SMB2_CREATE, createShareBody(name, access, share))
	if r.status() != wire.STATUS_SUCCESS {
		return wire.FileID{}, r.status()
	}
	return wire.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])}, r.status()
}

// TestShareModes: share access is enforced through the lock manager
// (MS-FSA §2.1.5.1.2), against other SMB opens and an NFSv4 OPEN's
// share_deny on the same file; attribute-only opens are not checked.
func TestShareModes(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	a, st := c.createShare("s", wire.GENERIC_READ, wire.FILE_SHARE_READ)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.createShare("s", wire.GENERIC_WRITE, wire.FILE_SHARE_READ|wire.FILE_SHARE_WRITE); st != wire.STATUS_SHARING_VIOLATION {
		t.Fatalf("write open against deny-write: %v", st)
	}
	b, st := c.createShare("s", wire.GENERIC_READ, wire.FILE_SHARE_READ)
	if st != wire.STATUS_SUCCESS {
		t.Fatalf("second reader: %v", st)
	}
	if _, st := c.createShare("s", wire.FILE_READ_ATTRIBUTES, 0); st != wire.STATUS_SUCCESS {
		t.Fatalf("attribute-only open: %v", st)
	}
	c.close(a)
	c.close(b)
	w, st := c.createShare("s", wire.GENERIC_WRITE, wire.FILE_SHARE_READ|wire.FILE_SHARE_WRITE)
	if st != wire.STATUS_SUCCESS {
		t.Fatalf("write open after closes: %v", st)
	}
	c.close(w)

	// An NFSv4 open denying write, in the same lock manager.
	_, attr, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "s")
	if err != nil {
		t.Fatal(err)
	}
	m := ts.tab.Lookup("/export").Locks
	v4 := locking.Owner{Proto: locking.ProtoNFS4, Client: "nfs-client", Key: "open-owner"}
	if err := m.Share(context.Background(), attr.ID, locking.ShareRequest{Owner: v4, Access: locking.ModeRead, Deny: locking.ModeWrite}); err != nil {
		t.Fatal(err)
	}
	if _, st := c.createShare("s", wire.GENERIC_WRITE, wire.FILE_SHARE_READ|wire.FILE_SHARE_WRITE); st != wire.STATUS_SHARING_VIOLATION {
		t.Fatalf("SMB write open against NFSv4 deny-write: %v", st)
	}
	m.Unshare(context.Background(), attr.ID, v4)
	// And the other way round: an SMB deny-write open refuses NFSv4 write access.
	a, _ = c.createShare("s", wire.GENERIC_READ, wire.FILE_SHARE_READ)
	if err := m.Share(context.Background(), attr.ID, locking.ShareRequest{Owner: v4, Access: locking.ModeWrite}); !errors.Is(err, locking.ErrDenied) {
		t.Fatalf("NFSv4 write open against SMB deny-write: %v", err)
	}
	c.close(a)
}

func lockBody(f wire.FileID, els ...[3]uint64) []byte {
	b := append(Lay(uint16(48), uint16(len(els)), uint32(0)), fid(f)...)
	for _, e := range els {
		b = append(b, Lay(e[0], e[1], uint32(e[2]), uint32(0))...)
	}
	return b
}

// TestByteRangeLocks: SMB2 LOCK takes locks in the export's lock manager
// (MS-SMB2 §3.3.5.14): they conflict with other opens' locks and I/O and
// with an NLM lock on the same range, both ways; unlocking a range not
// locked is STATUS_RANGE_NOT_LOCKED; closing the open releases its locks.
func TestByteRangeLocks(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, _ := c.create("l", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	f2, _ := c.create("l", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	const x, s, un, fi = wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK, wire.SMB2_LOCKFLAG_SHARED_LOCK, wire.SMB2_LOCKFLAG_UNLOCK, wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
	call := func(f wire.FileID, els ...[3]uint64) wire.Status {
		return c.call(wire.SMB2_LOCK, lockBody(f, els...)).status()
	}
	if st := call(f1, [3]uint64{0, 10, x | fi}); st != wire.STATUS_SUCCESS {
		t.Fatalf("lock: %v", st)
	}
	if st := call(f2, [3]uint64{5, 1, s | fi}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("conflicting lock: %v", st)
	}
	if st := c.write(f2, 0, []byte("x")); st != wire.STATUS_FILE_LOCK_CONFLICT {
		t.Fatalf("write under another open's lock: %v", st)
	}
	if st := c.write(f1, 0, []byte("x")); st != wire.STATUS_SUCCESS {
		t.Fatalf("write under own lock: %v", st)
	}
	// All or nothing: the second element conflicts, the first is undone.
	if st := call(f2, [3]uint64{20, 5, x | fi}, [3]uint64{9, 1, x | fi}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("partly conflicting request: %v", st)
	}
	if st := call(f1, [3]uint64{20, 5, x | fi}); st != wire.STATUS_SUCCESS {
		t.Fatalf("range of the undone element: %v", st)
	}
	_, attr, _ := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.tab.Lookup("/export").Root(), "l")
	m := ts.tab.Lookup("/export").Locks
	nlm := locking.Owner{Proto: locking.ProtoNLM, Client: "host", Key: "svid"}
	if err := m.Lock(context.Background(), attr.ID, locking.Request{Owner: nlm, Range: locking.Range{Off: 0, Len: 10}}); !errors.Is(err, locking.ErrDenied) {
		t.Fatalf("NLM lock over an SMB lock: %v", err)
	}
	if st := call(f1, [3]uint64{0, 10, un}, [3]uint64{20, 5, un}); st != wire.STATUS_SUCCESS {
		t.Fatalf("unlock: %v", st)
	}
	if st := call(f1, [3]uint64{0, 10, un}); st != wire.STATUS_RANGE_NOT_LOCKED {
		t.Fatalf("unlock again: %v", st)
	}
	if err := m.Lock(context.Background(), attr.ID, locking.Request{Owner: nlm, Range: locking.Range{Off: 0, Len: 10}, Exclusive: true}); err != nil {
		t.Fatalf("NLM lock after unlock: %v", err)
	}
	if st := call(f2, [3]uint64{0, 1, s | fi}); st != wire.STATUS_LOCK_NOT_GRANTED {
		t.Fatalf("SMB lock over an NLM lock: %v", st)
	}
	m.Unlock(context.Background(), attr.ID, nlm, locking.Range{Off: 0, Len: 10})
	if st := call(f2, [3]uint64{0, 1, s}, [3]uint64{5, 1, un}); st != wire.STATUS_INVALID_PARAMETER {
		t.Fatalf("lock and unlock mixed: %v", st)
	}
	call(f2, [3]uint64{0, 100, x | fi})
	c.close(f2)
	if st := call(f1, [3]uint64{0, 100, x | fi}); st != wire.STATUS_SUCCESS {
		t.Fatalf("lock after the holder closed: %v", st)
	}
}

// TestReauthenticate: a second SESSION_SETUP on a valid session as the
// same user succeeds and the session keeps its keys (MS-SMB2 §3.3.5.5.3);
// another user is refused.
func TestReauthenticate(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	if st := c.login(testUser, testPassword); st != wire.STATUS_SUCCESS {
		t.Fatalf("reauth: %v", st)
	}
	if r := c.call(wire.SMB2_ECHO, Lay(uint16(4), uint16(0))); r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("echo after reauth: %v", r.status())
	}
	if st := c.login("bob", testPassword); st != wire.STATUS_LOGON_FAILURE {
		t.Fatalf("reauth as another user: %v", st)
	}
}

// TestPositionAndExecuteRead: FilePositionInformation follows the last
// READ or WRITE and can be set (MS-FSCC §2.4.35); an open with only
// FILE_EXECUTE may read (MS-SMB2 §3.3.5.12, smbtorture smb2.read.access).
func TestPositionAndExecuteRead(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("p", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	c.write(f, 0, []byte("0123456789abcdef"))
	pos := func() uint64 {
		r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FilePositionInformation, 8))
		return binary.LittleEndian.Uint64(output(r))
	}
	if p := pos(); p != 16 {
		t.Fatalf("after write: %d", p)
	}
	c.read(f, 2, 8)
	if p := pos(); p != 10 {
		t.Fatalf("after read: %d", p)
	}
	c.call(wire.SMB2_SET_INFO, setInfoBody(f, wire.FilePositionInformation, Lay(int64(3))))
	if p := pos(); p != 3 {
		t.Fatalf("after set: %d", p)
	}
	x, st := c.create("p", wire.FILE_EXECUTE|wire.SYNCHRONIZE, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if got, st := c.read(x, 0, 4); st != wire.STATUS_SUCCESS || string(got) != "0123" {
		t.Fatalf("execute-only read: %v %q", st, got)
	}
}

// TestLockStacking: SMB locks of one open stack (MS-FSA §2.1.5.7): two
// shared locks of a range need two unlocks; a shared lock stacks on the
// open's exclusive lock without weakening it; an exclusive lock over the
// open's own lock is refused; a write under the open's own shared lock
// is a conflict; a range past 2^64-1 is STATUS_INVALID_LOCK_RANGE.
func TestLockStacking(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f1, _ := c.create("k", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	f2, _ := c.create("k", wire.GENERIC_READ|wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	const x, s, un, fi = wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK, wire.SMB2_LOCKFLAG_SHARED_LOCK, wire.SMB2_LOCKFLAG_UNLOCK, wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY
	call := func(f wire.FileID, els ...[3]uint64) wire.Status {
		return c.call(wire.SMB2_LOCK, lockBody(f, els...)).status()
	}
	for i, step := range []struct {
		f    wire.FileID
		el   [3]uint64
		want wire.Status
	}{
		{f1, [3]uint64{0, 10, s | fi}, wire.STATUS_SUCCESS},
		{f1, [3]uint64{0, 10, s | fi}, wire.STATUS_SUCCESS},
		{f1, [3]uint64{0, 10, un}, wire.STATUS_SUCCESS},
		{f2, [3]uint64{0, 1, x | fi}, wire.STATUS_LOCK_NOT_GRANTED}, // one shared lock is left
		{f1, [3]uint64{0, 10, un}, wire.STATUS_SUCCESS},
		{f2, [3]uint64{0, 1, x | fi}, wire.STATUS_SUCCESS},
		{f2, [3]uint64{0, 1, un}, wire.STATUS_SUCCESS},
		{f1, [3]uint64{20, 10, x | fi}, wire.STATUS_SUCCESS},
		{f1, [3]uint64{20, 10, x | fi}, wire.STATUS_LOCK_NOT_GRANTED},
		{f1, [3]uint64{25, 1, s | fi}, wire.STATUS_SUCCESS},
		{f2, [3]uint64{20, 1, s | fi}, wire.STATUS_LOCK_NOT_GRANTED}, // still exclusive
		{f1, [3]uint64{1 << 63, 1<<63 + 1, s | fi}, wire.STATUS_INVALID_LOCK_RANGE},
	} {
		if st := call(step.f, step.el); st != step.want {
			t.Fatalf("step %d %v: %v, want %v", i, step.el, st, step.want)
		}
	}
	call(f1, [3]uint64{40, 10, s | fi})
	if st := c.write(f1, 40, []byte("x")); st != wire.STATUS_FILE_LOCK_CONFLICT {
		t.Fatalf("write under the open's own shared lock: %v", st)
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestMalformedRequest: a request that does not decode is answered with
// STATUS_INVALID_PARAMETER and one log line, rate-limited; the
// connection goes on.
func TestMalformedRequest(t *testing.T) {
	var logs syncBuffer
	ts := startServer(t, func(s *Server) { s.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	c := ts.connect(wire.SMB2_DIALECT_311)
	bad := createBody("x", wire.GENERIC_READ, wire.FILE_OPEN, 0)
	bad[0] = 56 // StructureSize
	for range 3 {
		if r := c.call(wire.SMB2_CREATE, bad); r.status() != wire.STATUS_INVALID_PARAMETER {
			t.Fatalf("got %v", r.status())
		}
	}
	if r := c.call(wire.SMB2_ECHO, Lay(uint16(4), uint16(0))); r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("echo after: %v", r.status())
	}
	if n := strings.Count(logs.String(), `msg="smb: malformed request"`); n != 1 {
		t.Fatalf("%d log lines:\n%s", n, logs.String())
	}
}

// CommandDone is told of every request answered, with the command's name,
// the reply's status, and "other" for command numbers MS-SMB2 does not
// define (so a client cannot grow the set of names).
func TestCommandDone(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	ts := startServer(t, func(s *Server) {
		s.CommandDone = func(cmd, status string, failed bool, d time.Duration) {
			if d < 0 {
				t.Errorf("%s: negative duration %v", cmd, d)
			}
			if want := status != "STATUS_SUCCESS" && status != "STATUS_MORE_PROCESSING_REQUIRED"; failed != want {
				t.Errorf("%s %s: failed %v, want %v", cmd, status, failed, want)
			}
			mu.Lock()
			seen[cmd+" "+status]++
			mu.Unlock()
		}
	})
	c := ts.connect(wire.SMB2_DIALECT_311)
	c.call(wire.SMB2_ECHO, Lay(uint16(4), uint16(0)))
	c.call(0x00FF, Lay(uint16(4), uint16(0)))
	c.call(0x1234, Lay(uint16(4), uint16(0)))
	c.create("cd", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	c.create("cd", wire.GENERIC_ALL, wire.FILE_CREATE, 0) // exists
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{
		"NEGOTIATE STATUS_SUCCESS", "SESSION_SETUP STATUS_MORE_PROCESSING_REQUIRED", "SESSION_SETUP STATUS_SUCCESS",
		"TREE_CONNECT STATUS_SUCCESS", "ECHO STATUS_SUCCESS", "CREATE STATUS_SUCCESS", "CREATE STATUS_OBJECT_NAME_COLLISION",
	} {
		if seen[want] == 0 {
			t.Errorf("CommandDone not told %q; told %v", want, seen)
		}
	}
	if seen["other STATUS_NOT_SUPPORTED"] != 2 {
		t.Errorf("undefined commands: %d reports as other, want 2; told %v", seen["other STATUS_NOT_SUPPORTED"], seen)
	}
}
