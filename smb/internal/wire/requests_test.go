package wire

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"unsafe"
)

var fid = lay(uint64(0x1111), uint64(0x2222)) // SMB2_FILEID {Persistent, Volatile}

// Valid requests laid out from the MS-SMB2 §2.2 tables, one per decoder.

// negotiate311 is a NEGOTIATE request (§2.2.3) offering 2.0.2 and 3.1.1
// with preauth, encryption, signing, compression, netname, transport and an
// unknown context (§2.2.3.1), each 8-byte aligned.
func negotiate311() []byte {
	m := msg(SMB2_NEGOTIATE,
		uint16(36), uint16(2), uint16(SMB2_NEGOTIATE_SIGNING_ENABLED), uint16(0),
		uint32(SMB2_GLOBAL_CAP_LEASING|SMB2_GLOBAL_CAP_ENCRYPTION),
		[]byte("0123456789abcdef"),
		uint32(0), uint16(7), uint16(0), // NegotiateContextOffset patched below
		uint16(0x0202), uint16(0x0311),
	)
	ctx := func(typ uint16, data []byte) {
		for len(m)%8 != 0 {
			m = append(m, 0)
		}
		m = append(m, lay(typ, uint16(len(data)), uint32(0), data)...)
	}
	for len(m)%8 != 0 {
		m = append(m, 0)
	}
	copy(m[HeaderSize+28:], lay(uint32(len(m))))
	ctx(SMB2_PREAUTH_INTEGRITY_CAPABILITIES, lay(uint16(1), uint16(4), uint16(1), "salt"))
	ctx(SMB2_ENCRYPTION_CAPABILITIES, lay(uint16(2), uint16(2), uint16(1)))
	ctx(SMB2_SIGNING_CAPABILITIES, lay(uint16(2), uint16(2), uint16(1)))
	ctx(SMB2_COMPRESSION_CAPABILITIES, lay(uint16(1), uint16(0), uint32(1), uint16(2)))
	ctx(SMB2_NETNAME_NEGOTIATE_CONTEXT_ID, utf16le("srv"))
	ctx(SMB2_TRANSPORT_CAPABILITIES, lay(uint32(1)))
	ctx(0x0099, []byte{1, 2, 3})
	return m
}

func sessionSetupReq() []byte {
	return msg(SMB2_SESSION_SETUP,
		uint16(25), uint8(0), uint8(1), uint32(1), uint32(0),
		uint16(88), uint16(5), uint64(0x99), "token")
}

func treeConnectReq() []byte {
	p := utf16le(`\\srv\share`)
	return msg(SMB2_TREE_CONNECT, uint16(9), uint16(0), uint16(72), uint16(len(p)), p)
}

// createReq is a CREATE request (§2.2.13) for "dir\f.txt" with a chain of
// three create contexts (§2.2.13.2): MxAc (no data), DHnQ (16 bytes), QFid
// (no data).
func createReq() []byte {
	name := utf16le(`dir\f.txt`)
	m := msg(SMB2_CREATE,
		uint16(57), uint8(0), uint8(SMB2_OPLOCK_LEVEL_BATCH), uint32(SMB2_IMPERSONATION_IMPERSONATION),
		uint64(0), uint64(0),
		uint32(FILE_READ_DATA|SYNCHRONIZE), uint32(FILE_ATTRIBUTE_NORMAL),
		uint32(FILE_SHARE_READ|FILE_SHARE_WRITE), uint32(FILE_OPEN_IF), uint32(FILE_NON_DIRECTORY_FILE),
		uint16(120), uint16(len(name)), uint32(0), uint32(0), // contexts patched below
		name)
	for len(m)%8 != 0 {
		m = append(m, 0)
	}
	start := len(m)
	m = append(m, lay(uint32(24), uint16(16), uint16(4), uint16(0), uint16(0), uint32(0), "MxAc", uint32(0))...)
	m = append(m, lay(uint32(40), uint16(16), uint16(4), uint16(0), uint16(24), uint32(16), "DHnQ", uint32(0), make([]byte, 16))...)
	m = append(m, lay(uint32(0), uint16(16), uint16(4), uint16(0), uint16(0), uint32(0), "QFid")...)
	copy(m[HeaderSize+48:], lay(uint32(start), uint32(len(m)-start)))
	return m
}

func closeReq() []byte {
	return msg(SMB2_CLOSE, uint16(24), uint16(SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB), uint32(0), fid)
}

func flushReq() []byte {
	return msg(SMB2_FLUSH, uint16(24), uint16(0), uint32(0), fid)
}

func readReq() []byte {
	return msg(SMB2_READ, uint16(49), uint8(0x50), uint8(0), uint32(65536), uint64(1<<20), fid,
		uint32(1), uint32(SMB2_CHANNEL_NONE), uint32(0), uint16(0), uint16(0), uint8(0))
}

func writeReq(data []byte) []byte {
	return msg(SMB2_WRITE, uint16(49), uint16(112), uint32(len(data)), uint64(4096), fid,
		uint32(0), uint32(0), uint16(0), uint16(0), uint32(SMB2_WRITEFLAG_WRITE_THROUGH), data)
}

func lockReq() []byte {
	return msg(SMB2_LOCK, uint16(48), uint16(2), uint32(0x35), fid,
		uint64(0), uint64(10), uint32(SMB2_LOCKFLAG_EXCLUSIVE_LOCK|SMB2_LOCKFLAG_FAIL_IMMEDIATELY), uint32(0),
		uint64(100), uint64(^uint64(0)-100), uint32(SMB2_LOCKFLAG_SHARED_LOCK), uint32(0))
}

func ioctlReq() []byte {
	return msg(SMB2_IOCTL, uint16(57), uint16(0), uint32(FSCTL_VALIDATE_NEGOTIATE_INFO), fid,
		uint32(120), uint32(4), uint32(0), uint32(0), uint32(0), uint32(24), uint32(SMB2_0_IOCTL_IS_FSCTL), uint32(0),
		"abcd")
}

func queryDirReq() []byte {
	p := utf16le("*.txt")
	return msg(SMB2_QUERY_DIRECTORY, uint16(33), uint8(FileIdBothDirectoryInformation), uint8(SMB2_RESTART_SCANS),
		uint32(0), fid, uint16(96), uint16(len(p)), uint32(65536), p)
}

func changeNotifyReq() []byte {
	return msg(SMB2_CHANGE_NOTIFY, uint16(32), uint16(SMB2_WATCH_TREE), uint32(4096), fid,
		uint32(FILE_NOTIFY_CHANGE_FILE_NAME|FILE_NOTIFY_CHANGE_SIZE), uint32(0))
}

func queryInfoReq() []byte {
	return msg(SMB2_QUERY_INFO, uint16(41), uint8(SMB2_0_INFO_FILE), uint8(FileFullEaInformation),
		uint32(4096), uint16(104), uint16(0), uint32(3), uint32(0), uint32(SL_RESTART_SCAN), fid, "ea1")
}

func setInfoReq() []byte {
	return msg(SMB2_SET_INFO, uint16(33), uint8(SMB2_0_INFO_FILE), uint8(FileEndOfFileInformation),
		uint32(8), uint16(96), uint16(0), uint32(0), fid, uint64(12345))
}

func oplockAckReq() []byte {
	return msg(SMB2_OPLOCK_BREAK, uint16(24), uint8(SMB2_OPLOCK_LEVEL_II), uint8(0), uint32(0), fid)
}

func leaseAckReq() []byte {
	return msg(SMB2_OPLOCK_BREAK, uint16(36), uint16(0), uint32(0), []byte("LEASEKEY01234567"),
		uint32(SMB2_LEASE_READ_CACHING), uint64(0))
}

// decoder is one request decoder with a valid message for it and the size
// of its fixed part (StructureSize rounded down to even).
type decoder struct {
	name   string
	msg    []byte
	fixed  int
	decode func([]byte) error
}

func decoders() []decoder {
	return []decoder{
		{"NEGOTIATE", negotiate311(), 36, func(b []byte) error { var r NegotiateRequest; return r.Decode(b) }},
		{"SESSION_SETUP", sessionSetupReq(), 24, func(b []byte) error { var r SessionSetupRequest; return r.Decode(b) }},
		{"LOGOFF", msg(SMB2_LOGOFF, uint16(4), uint16(0)), 4, DecodeEmptyRequest},
		{"TREE_CONNECT", treeConnectReq(), 8, func(b []byte) error { var r TreeConnectRequest; return r.Decode(b) }},
		{"CREATE", createReq(), 56, func(b []byte) error { var r CreateRequest; return r.Decode(b) }},
		{"CLOSE", closeReq(), 24, func(b []byte) error { var r CloseRequest; return r.Decode(b) }},
		{"FLUSH", flushReq(), 24, func(b []byte) error { var r FlushRequest; return r.Decode(b) }},
		{"READ", readReq(), 48, func(b []byte) error { var r ReadRequest; return r.Decode(b) }},
		{"WRITE", writeReq([]byte("hello")), 48, func(b []byte) error { var r WriteRequest; return r.Decode(b) }},
		{"LOCK", lockReq(), 48, func(b []byte) error { var r LockRequest; return r.Decode(b) }},
		{"IOCTL", ioctlReq(), 56, func(b []byte) error { var r IoctlRequest; return r.Decode(b) }},
		{"QUERY_DIRECTORY", queryDirReq(), 32, func(b []byte) error { var r QueryDirectoryRequest; return r.Decode(b) }},
		{"CHANGE_NOTIFY", changeNotifyReq(), 32, func(b []byte) error { var r ChangeNotifyRequest; return r.Decode(b) }},
		{"QUERY_INFO", queryInfoReq(), 40, func(b []byte) error { var r QueryInfoRequest; return r.Decode(b) }},
		{"SET_INFO", setInfoReq(), 32, func(b []byte) error { var r SetInfoRequest; return r.Decode(b) }},
		{"OPLOCK_BREAK", oplockAckReq(), 24, func(b []byte) error { var r OplockBreakRequest; return r.Decode(b) }},
		{"LEASE_BREAK", leaseAckReq(), 36, func(b []byte) error { var r OplockBreakRequest; return r.Decode(b) }},
	}
}

// TestDecodersStructureSize checks every decoder against its valid layout,
// then that a wrong StructureSize and a message shorter than the fixed
// part are refused (MS-SMB2 §3.3.5.2.6: the server MUST verify
// StructureSize and fail with STATUS_INVALID_PARAMETER), and that no
// prefix of the message makes it panic.
func TestDecodersStructureSize(t *testing.T) {
	for _, d := range decoders() {
		if err := d.decode(d.msg); err != nil {
			t.Errorf("%s: valid message: %v", d.name, err)
			continue
		}
		bad := bytes.Clone(d.msg)
		bad[HeaderSize] += 2
		if d.name == "OPLOCK_BREAK" || d.name == "LEASE_BREAK" {
			bad[HeaderSize] = 30
		}
		wantErr(t, d.name+" bad StructureSize", d.decode(bad), ErrStructureSize)
		wantErr(t, d.name+" truncated fixed part", d.decode(d.msg[:HeaderSize+d.fixed-1]), ErrShortBuffer)
		for i := range d.msg {
			_ = d.decode(d.msg[:i])
		}
	}
}

func TestNegotiateRequest(t *testing.T) {
	var r NegotiateRequest
	if err := r.Decode(negotiate311()); err != nil {
		t.Fatal(err)
	}
	if len(r.Dialects) != 2 || r.Dialects[1] != SMB2_DIALECT_311 || !r.HasDialect(SMB2_DIALECT_202) || r.HasDialect(SMB2_DIALECT_300) {
		t.Errorf("dialects %v", r.Dialects)
	}
	if string(r.ClientGUID[:]) != "0123456789abcdef" || r.SecurityMode != 1 || r.Capabilities != 0x42 {
		t.Errorf("fixed fields %+v", r)
	}
	if r.Preauth == nil || len(r.Preauth.HashAlgorithms) != 1 || r.Preauth.HashAlgorithms[0] != SMB2_PREAUTH_INTEGRITY_SHA512 || string(r.Preauth.Salt) != "salt" {
		t.Errorf("preauth %+v", r.Preauth)
	}
	if r.Encryption == nil || len(r.Encryption.Ciphers) != 2 || r.Encryption.Ciphers[0] != SMB2_ENCRYPTION_AES128_GCM {
		t.Errorf("encryption %+v", r.Encryption)
	}
	if r.Signing == nil || len(r.Signing.Algorithms) != 2 || r.Signing.Algorithms[1] != SMB2_SIGNING_AES_CMAC {
		t.Errorf("signing %+v", r.Signing)
	}
	if r.Compression == nil || r.Compression.Flags != 1 || r.Compression.Algorithms[0] != SMB2_COMPRESSION_LZ77 {
		t.Errorf("compression %+v", r.Compression)
	}
	if s, _ := DecodeUTF16(r.NetName); s != "srv" {
		t.Errorf("netname %q", s)
	}
	if r.Transport == nil || r.Transport.Flags != SMB2_ACCEPT_TRANSPORT_LEVEL_SECURITY {
		t.Errorf("transport %+v", r.Transport)
	}
	if len(r.Contexts) != 7 || r.Contexts[6].Type != 0x99 || !bytes.Equal(r.Contexts[6].Data, []byte{1, 2, 3}) {
		t.Errorf("contexts %+v", r.Contexts)
	}
}

// TestNegotiateSmbclient decodes NEGOTIATE requests captured from
// smbclient 4.17 (Samba) on loopback: -m SMB3 (3.1.1 with contexts) and
// -m SMB2 (2.0.2 and 2.1, ClientStartTime instead of contexts).
func TestNegotiateSmbclient(t *testing.T) {
	frame := readFrame(t, "testdata/smbclient-negotiate-smb3.bin")
	msgs, err := Split(frame, nil)
	if err != nil || len(msgs) != 1 || msgs[0].Header.Command != SMB2_NEGOTIATE {
		t.Fatalf("split: %v %+v", err, msgs)
	}
	var r NegotiateRequest
	if err := r.Decode(msgs[0].Raw); err != nil {
		t.Fatal(err)
	}
	want := []Dialect{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}
	if !equal(r.Dialects, want) {
		t.Errorf("dialects %x", r.Dialects)
	}
	if r.Preauth == nil || len(r.Preauth.Salt) != 32 || r.Preauth.HashAlgorithms[0] != SMB2_PREAUTH_INTEGRITY_SHA512 {
		t.Errorf("preauth %+v", r.Preauth)
	}
	if r.Encryption == nil || !equal(r.Encryption.Ciphers, []uint16{2, 1, 4, 3}) {
		t.Errorf("ciphers %+v", r.Encryption)
	}
	if r.Signing == nil || !equal(r.Signing.Algorithms, []uint16{2, 1, 0}) {
		t.Errorf("signing %+v", r.Signing)
	}
	if s, err := DecodeUTF16(r.NetName); err != nil || s != "127.0.0.1" {
		t.Errorf("netname %q %v", s, err)
	}
	if r.SecurityMode != SMB2_NEGOTIATE_SIGNING_ENABLED || r.Capabilities != 0x7f {
		t.Errorf("security mode %#x capabilities %#x", r.SecurityMode, r.Capabilities)
	}

	frame = readFrame(t, "testdata/smbclient-negotiate-smb2.bin")
	if err := r.Decode(frame); err != nil {
		t.Fatal(err)
	}
	if !equal(r.Dialects, []Dialect{0x0202, 0x0210}) || r.Contexts != nil || r.Preauth != nil {
		t.Errorf("SMB2 negotiate: %+v", r)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func readFrame(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fr := FrameReader{R: bytes.NewReader(b)}
	body, err := fr.Next(nil)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestNegotiateRejects covers the NEGOTIATE rejections of MS-SMB2
// §3.3.5.4 (DialectCount 0, zero algorithm counts, duplicate contexts) and
// the bounds of §2.2.3 (dialects and the 8-byte-aligned context list
// within the message).
func TestNegotiateRejects(t *testing.T) {
	ctxOff := int(le32(negotiate311(), HeaderSize+28))
	mod := func(f func(m []byte) []byte) []byte { return f(negotiate311()) }
	cases := []struct {
		name string
		msg  []byte
		want error
	}{
		{"DialectCount 0", mod(func(m []byte) []byte { m[HeaderSize+2] = 0; return m }), ErrBadValue},
		{"dialects past end", msg(SMB2_NEGOTIATE, uint16(36), uint16(3), uint16(0), uint16(0), uint32(0), make([]byte, 16), uint64(0), uint16(0x202)), ErrShortBuffer},
		{"context offset misaligned", mod(func(m []byte) []byte { m[HeaderSize+28] += 2; return m }), ErrOffset},
		{"context offset over dialects", mod(func(m []byte) []byte { m[HeaderSize+28] = 96; return m }), ErrOffset},
		{"context offset past end", mod(func(m []byte) []byte { copy(m[HeaderSize+28:], lay(uint32(4096))); return m }), ErrOffset},
		{"context data past end", mod(func(m []byte) []byte { copy(m[ctxOff+2:], lay(uint16(4000))); return m }), ErrShortBuffer},
		{"context count past end", mod(func(m []byte) []byte { m[HeaderSize+32] = 30; return m }), ErrShortBuffer},
		{"too many contexts", mod(func(m []byte) []byte { m[HeaderSize+33] = 1; return m }), ErrTooMany},
		{"hash count 0", mod(func(m []byte) []byte { m[ctxOff+8] = 0; return m }), ErrBadValue},
		{"hash count past data", mod(func(m []byte) []byte { m[ctxOff+8] = 9; return m }), ErrShortBuffer},
		{"salt past data", mod(func(m []byte) []byte { m[ctxOff+10] = 9; return m }), ErrShortBuffer},
		{"duplicate preauth", dupContext(SMB2_PREAUTH_INTEGRITY_CAPABILITIES, lay(uint16(1), uint16(0), uint16(1))), ErrBadValue},
		{"duplicate encryption", dupContext(SMB2_ENCRYPTION_CAPABILITIES, lay(uint16(1), uint16(1))), ErrBadValue},
		{"duplicate signing", dupContext(SMB2_SIGNING_CAPABILITIES, lay(uint16(1), uint16(1))), ErrBadValue},
		{"duplicate compression", dupContext(SMB2_COMPRESSION_CAPABILITIES, lay(uint16(1), uint16(0), uint32(0), uint16(1))), ErrBadValue},
		{"duplicate rdma", dupContext(SMB2_RDMA_TRANSFORM_CAPABILITIES, lay(uint16(0))), ErrBadValue},
		{"cipher count 0", dupContextOnly(SMB2_ENCRYPTION_CAPABILITIES, lay(uint16(0))), ErrBadValue},
		{"signing count 0", dupContextOnly(SMB2_SIGNING_CAPABILITIES, lay(uint16(0))), ErrBadValue},
		{"compression count 0", dupContextOnly(SMB2_COMPRESSION_CAPABILITIES, lay(uint16(0), uint16(0), uint32(0))), ErrBadValue},
		{"transport short", dupContextOnly(SMB2_TRANSPORT_CAPABILITIES, lay(uint16(0))), ErrShortBuffer},
	}
	for _, c := range cases {
		var r NegotiateRequest
		wantErr(t, c.name, r.Decode(c.msg), c.want)
	}
}

// negotiateWith returns a 3.1.1 NEGOTIATE with the given contexts.
func negotiateWith(ctxs ...NegotiateContext) []byte {
	m := msg(SMB2_NEGOTIATE, uint16(36), uint16(1), uint16(0), uint16(0), uint32(0), make([]byte, 16),
		uint32(104), uint16(len(ctxs)), uint16(0), uint16(0x0311), uint16(0))
	for i, c := range ctxs {
		if i > 0 {
			for len(m)%8 != 0 {
				m = append(m, 0)
			}
		}
		m = append(m, lay(c.Type, uint16(len(c.Data)), uint32(0), c.Data)...)
	}
	return m
}

func dupContext(typ uint16, data []byte) []byte {
	return negotiateWith(NegotiateContext{typ, data}, NegotiateContext{typ, data})
}

func dupContextOnly(typ uint16, data []byte) []byte {
	return negotiateWith(NegotiateContext{typ, data})
}

// TestNegotiateResponse checks the layout of §2.2.4: StructureSize 65, the
// security buffer at offset 128, and the contexts 8-byte aligned after it
// with NegotiateContextOffset and NegotiateContextCount set; the contexts
// read back with the request-side parsers.
func TestNegotiateResponse(t *testing.T) {
	pre := PreauthIntegrityCapabilities{HashAlgorithms: []uint16{1}, Salt: bytes.Repeat([]byte{7}, 32)}
	enc := EncryptionCapabilities{Ciphers: []uint16{SMB2_ENCRYPTION_AES128_GCM}}
	sig := SigningCapabilities{Algorithms: []uint16{SMB2_SIGNING_AES_GMAC}}
	r := NegotiateResponse{
		SecurityMode: SMB2_NEGOTIATE_SIGNING_ENABLED | SMB2_NEGOTIATE_SIGNING_REQUIRED, DialectRevision: SMB2_DIALECT_311,
		ServerGUID: GUID{1, 2, 3}, Capabilities: SMB2_GLOBAL_CAP_LARGE_MTU, MaxTransactSize: 1 << 20, MaxReadSize: 8 << 20,
		MaxWriteSize: 8 << 20, SystemTime: 133, ServerStartTime: 0, SecurityBuffer: []byte("spnego-hint"),
		Contexts: []NegotiateContext{pre.Context(), enc.Context(), sig.Context()},
	}
	m := encodeBody(r.Encode)
	if le16(m, 64) != 65 || le16(m, 66) != 3 || le16(m, 68) != 0x0311 || le16(m, 70) != 3 {
		t.Errorf("fixed part % x", m[64:72])
	}
	if le32(m, 92) != 1<<20 || le32(m, 96) != 8<<20 || le64(m, 104) != 133 {
		t.Errorf("sizes/time % x", m[88:120])
	}
	if le16(m, 120) != 128 || le16(m, 122) != 11 || string(m[128:139]) != "spnego-hint" {
		t.Errorf("security buffer offset %d length %d", le16(m, 120), le16(m, 122))
	}
	off := int(le32(m, 124))
	if off != 144 {
		t.Fatalf("NegotiateContextOffset %d, want 144 (first 8-byte boundary after the buffer)", off)
	}
	var got []NegotiateContext
	for i := 0; i < 3; i++ {
		if off%8 != 0 {
			t.Fatalf("context %d at %d, not 8-byte aligned", i, off)
		}
		n := int(le16(m, off+2))
		got = append(got, NegotiateContext{le16(m, off), m[off+8 : off+8+n]})
		off = (off + 8 + n + 7) &^ 7
	}
	if len(m) != 144+48+16+12 {
		t.Errorf("message length %d: the last context is followed by padding", len(m))
	}
	var p PreauthIntegrityCapabilities
	var e EncryptionCapabilities
	var s SigningCapabilities
	if got[0].Type != SMB2_PREAUTH_INTEGRITY_CAPABILITIES || p.Decode(got[0].Data) != nil || !bytes.Equal(p.Salt, pre.Salt) {
		t.Errorf("preauth context %+v", got[0])
	}
	if got[1].Type != SMB2_ENCRYPTION_CAPABILITIES || e.Decode(got[1].Data) != nil || e.Ciphers[0] != SMB2_ENCRYPTION_AES128_GCM {
		t.Errorf("encryption context %+v", got[1])
	}
	if got[2].Type != SMB2_SIGNING_CAPABILITIES || s.Decode(got[2].Data) != nil || s.Algorithms[0] != SMB2_SIGNING_AES_GMAC {
		t.Errorf("signing context %+v", got[2])
	}

	// Without contexts (2.x, 3.0) the count and offset stay zero.
	r.Contexts, r.DialectRevision = nil, SMB2_DIALECT_WILDCARD
	m = encodeBody(r.Encode)
	if le16(m, 70) != 0 || le32(m, 124) != 0 || len(m) != 128+11 {
		t.Errorf("no contexts: count %d offset %d len %d", le16(m, 70), le32(m, 124), len(m))
	}

	c := (&CompressionCapabilities{Flags: 1, Algorithms: []uint16{3}}).Context()
	var cc CompressionCapabilities
	if cc.Decode(c.Data) != nil || cc.Flags != 1 || cc.Algorithms[0] != 3 {
		t.Errorf("compression round trip %+v", cc)
	}
	tc := (&TransportCapabilities{Flags: 1}).Context()
	var tt TransportCapabilities
	if tt.Decode(tc.Data) != nil || tt.Flags != 1 {
		t.Errorf("transport round trip %+v", tt)
	}
}

func TestSessionSetup(t *testing.T) {
	var r SessionSetupRequest
	if err := r.Decode(sessionSetupReq()); err != nil {
		t.Fatal(err)
	}
	if string(r.SecurityBuffer) != "token" || r.PreviousSessionID != 0x99 || r.SecurityMode != 1 || r.Capabilities != 1 {
		t.Errorf("%+v", r)
	}
	m := sessionSetupReq()
	m[HeaderSize+12] = 40 // SecurityBufferOffset inside the header
	wantErr(t, "buffer in header", r.Decode(m), ErrOffset)
	m = sessionSetupReq()
	m[HeaderSize+14] = 6 // one byte past the end
	wantErr(t, "buffer past end", r.Decode(m), ErrOffset)
	m = sessionSetupReq()
	m[HeaderSize+12] = 80 // inside the fixed part
	wantErr(t, "buffer in fixed part", r.Decode(m), ErrOffset)

	resp := encodeBody((&SessionSetupResponse{SessionFlags: SMB2_SESSION_FLAG_IS_GUEST, SecurityBuffer: []byte("xyz")}).Encode)
	if !bytes.Equal(resp[64:], lay(uint16(9), uint16(1), uint16(72), uint16(3), "xyz")) {
		t.Errorf("response % x", resp[64:])
	}
}

func TestTreeConnect(t *testing.T) {
	var r TreeConnectRequest
	if err := r.Decode(treeConnectReq()); err != nil {
		t.Fatal(err)
	}
	if s, _ := DecodeUTF16(r.Path); s != `\\srv\share` || r.Extension {
		t.Errorf("path %q ext %v", s, r.Extension)
	}
	m := treeConnectReq()
	m[HeaderSize+6]-- // odd PathLength
	wantErr(t, "odd path", r.Decode(m), ErrOddLength)

	// 3.1.1 extension (§2.2.9.1): 16 bytes at the start of the buffer,
	// then the path; the context offset is counted from the request.
	p := utf16le(`\\srv\share`)
	ext := msg(SMB2_TREE_CONNECT, uint16(9), uint16(SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT), uint16(88), uint16(len(p)),
		uint32(24+uint32(len(p))), uint16(1), make([]byte, 10), p, lay(uint16(1), uint16(0), uint32(0)))
	if err := r.Decode(ext); err != nil || !r.Extension || r.ContextCount != 1 {
		t.Fatalf("extension: %v %+v", err, r)
	}
	if s, _ := DecodeUTF16(r.Path); s != `\\srv\share` {
		t.Errorf("extension path %q", s)
	}
	bad := bytes.Clone(ext)
	copy(bad[HeaderSize+8:], lay(uint32(4000)))
	wantErr(t, "extension contexts past end", r.Decode(bad), ErrOffset)
	bad = bytes.Clone(ext)
	bad[HeaderSize+4] = 72 // path overlapping the extension
	wantErr(t, "path over extension", r.Decode(bad), ErrOffset)

	resp := encodeBody((&TreeConnectResponse{ShareType: SMB2_SHARE_TYPE_DISK, ShareFlags: 0x30, Capabilities: 0, MaximalAccess: FILE_ALL_ACCESS}).Encode)
	if !bytes.Equal(resp[64:], lay(uint16(16), uint8(1), uint8(0), uint32(0x30), uint32(0), uint32(FILE_ALL_ACCESS))) {
		t.Errorf("response % x", resp[64:])
	}
	if DecodeEmptyRequest(msg(SMB2_TREE_DISCONNECT, uint16(4), uint16(0))) != nil {
		t.Error("TREE_DISCONNECT")
	}
	if e := encodeBody(EncodeEmptyResponse); !bytes.Equal(e[64:], []byte{4, 0, 0, 0}) {
		t.Errorf("empty response % x", e[64:])
	}
}

func TestCreateRequest(t *testing.T) {
	var r CreateRequest
	if err := r.Decode(createReq()); err != nil {
		t.Fatal(err)
	}
	if s, _ := DecodeUTF16(r.Name); s != `dir\f.txt` {
		t.Errorf("name %q", s)
	}
	if r.RequestedOplockLevel != SMB2_OPLOCK_LEVEL_BATCH || r.DesiredAccess != FILE_READ_DATA|SYNCHRONIZE ||
		r.ShareAccess != 3 || r.CreateDisposition != FILE_OPEN_IF || r.CreateOptions != FILE_NON_DIRECTORY_FILE ||
		r.FileAttributes != FILE_ATTRIBUTE_NORMAL || r.ImpersonationLevel != 2 {
		t.Errorf("fields %+v", r)
	}
	if len(r.Contexts) != 3 || string(r.Contexts[0].Name) != "MxAc" || r.Contexts[0].Data != nil ||
		string(r.Contexts[1].Name) != "DHnQ" || len(r.Contexts[1].Data) != 16 || string(r.Contexts[2].Name) != "QFid" {
		t.Errorf("contexts %q", r.Contexts)
	}
	if d, ok := r.Context(SMB2_CREATE_DURABLE_HANDLE_REQUEST); !ok || len(d) != 16 {
		t.Error("Context(DHnQ)")
	}
	if _, ok := r.Context(SMB2_CREATE_TIMEWARP_TOKEN); ok {
		t.Error("Context(TWrp) found")
	}
	// Decoding again into the same struct reuses the contexts' array.
	cr := createReq()
	if n := testing.AllocsPerRun(100, func() { _ = r.Decode(cr) }); n != 0 {
		t.Errorf("re-decode allocates %v times", n)
	}
}

// TestCreateRejects covers the CREATE bounds of §2.2.13: name and context
// chain in the buffer, not overlapping, the chain 8-byte aligned, and the
// per-context checks of §2.2.13.2 as smbd applies them.
func TestCreateRejects(t *testing.T) {
	ctxOff := int(le32(createReq(), HeaderSize+48))
	mod := func(f func(m []byte)) []byte { m := createReq(); f(m); return m }
	cases := []struct {
		name string
		msg  []byte
		want error
	}{
		{"odd name", mod(func(m []byte) { m[HeaderSize+46]-- }), ErrOddLength},
		{"name in fixed part", mod(func(m []byte) { m[HeaderSize+44] = 100 }), ErrOffset},
		{"name past end", mod(func(m []byte) { copy(m[HeaderSize+46:], lay(uint16(60000))) }), ErrOffset},
		{"contexts overlap name", mod(func(m []byte) { copy(m[HeaderSize+48:], lay(uint32(120))) }), ErrOverlap},
		{"contexts misaligned", mod(func(m []byte) { copy(m[HeaderSize+48:], lay(uint32(ctxOff+4), uint32(100))) }), ErrOffset},
		{"contexts past end", mod(func(m []byte) { copy(m[HeaderSize+52:], lay(uint32(1000))) }), ErrOffset},
		{"next misaligned", mod(func(m []byte) { m[ctxOff] = 20 }), ErrOffset},
		{"next past chain", mod(func(m []byte) { m[ctxOff] = 200 }), ErrOffset},
		{"next too small", mod(func(m []byte) { m[ctxOff] = 8 }), ErrOffset},
		{"name offset in context header", mod(func(m []byte) { m[ctxOff+4] = 8 }), ErrOffset},
		{"name too short", mod(func(m []byte) { m[ctxOff+6] = 3 }), ErrOffset},
		{"name past context", mod(func(m []byte) { m[ctxOff+6] = 12 }), ErrOffset},
		{"data misaligned", mod(func(m []byte) { m[ctxOff+24+10] = 20 }), ErrOffset},
		{"data over name", mod(func(m []byte) { m[ctxOff+24+10] = 16 }), ErrOffset},
		{"data past context", mod(func(m []byte) { m[ctxOff+24+12] = 17 }), ErrOffset},
		{"chain shorter than a context", mod(func(m []byte) { copy(m[HeaderSize+52:], lay(uint32(24+40+8))) }), ErrShortBuffer},
	}
	for _, c := range cases {
		var r CreateRequest
		wantErr(t, c.name, r.Decode(c.msg), c.want)
	}

	// A chain of more than MaxCreateContexts tiny contexts.
	var chain []byte
	for i := 0; i <= MaxCreateContexts; i++ {
		next := uint32(24)
		if i == MaxCreateContexts {
			next = 0
		}
		chain = append(chain, lay(next, uint16(16), uint16(4), uint16(0), uint16(0), uint32(0), "ABCD", uint32(0))...)
	}
	if _, err := ParseCreateContexts(chain, nil); !errors.Is(err, ErrTooMany) {
		t.Errorf("long chain: %v", err)
	}
}

func TestCreateResponse(t *testing.T) {
	r := CreateResponse{
		OplockLevel: SMB2_OPLOCK_LEVEL_II, CreateAction: FILE_CREATED,
		Attrs:  FileAttrs{CreationTime: 1, LastAccessTime: 2, LastWriteTime: 3, ChangeTime: 4, AllocationSize: 4096, EndOfFile: 10, FileAttributes: FILE_ATTRIBUTE_ARCHIVE},
		FileID: FileID{5, 6},
		Contexts: []CreateContext{
			{Name: []byte("MxAc"), Data: lay(uint32(0), uint32(FILE_ALL_ACCESS))},
			{Name: []byte("QFid"), Data: make([]byte, 32)},
		},
	}
	m := encodeBody(r.Encode)
	want := lay(uint16(89), uint8(1), uint8(0), uint32(2), uint64(1), uint64(2), uint64(3), uint64(4), uint64(4096), uint64(10),
		uint32(0x20), uint32(0), uint64(5), uint64(6))
	if !bytes.Equal(m[64:64+len(want)], want) {
		t.Errorf("fixed part\n got % x\nwant % x", m[64:64+len(want)], want)
	}
	off, n := le32(m, 64+80), le32(m, 64+84)
	if off != 152 || int(off+n) != len(m) {
		t.Fatalf("CreateContextsOffset %d length %d, message %d", off, n, len(m))
	}
	ctxs, err := ParseCreateContexts(m[off:], nil)
	if err != nil || len(ctxs) != 2 || string(ctxs[1].Name) != "QFid" || len(ctxs[1].Data) != 32 || le32(ctxs[0].Data, 4) != FILE_ALL_ACCESS {
		t.Errorf("contexts %v %q", err, ctxs)
	}
	if le32(m, int(off)) != 32 || le16(m, int(off)+4) != 16 || le16(m, int(off)+10) != 24 {
		t.Errorf("first context header % x", m[off:off+16])
	}
	if m := encodeBody((&CreateResponse{}).Encode); len(m) != 64+88 || le32(m, 64+80) != 0 {
		t.Errorf("no contexts: len %d", len(m))
	}
}

func TestCloseFlush(t *testing.T) {
	var c CloseRequest
	if err := c.Decode(closeReq()); err != nil || c.Flags != 1 || c.FileID != (FileID{0x1111, 0x2222}) {
		t.Errorf("close %v %+v", err, c)
	}
	var f FlushRequest
	if err := f.Decode(flushReq()); err != nil || f.FileID != (FileID{0x1111, 0x2222}) {
		t.Errorf("flush %v %+v", err, f)
	}
	m := encodeBody((&CloseResponse{Flags: 1, Attrs: FileAttrs{1, 2, 3, 4, 5, 6, 7}}).Encode)
	if !bytes.Equal(m[64:], lay(uint16(60), uint16(1), uint32(0), uint64(1), uint64(2), uint64(3), uint64(4), uint64(5), uint64(6), uint32(7))) {
		t.Errorf("close response % x", m[64:])
	}
}

func TestReadRequest(t *testing.T) {
	var r ReadRequest
	if err := r.Decode(readReq()); err != nil {
		t.Fatal(err)
	}
	if r.Padding != 0x50 || r.Length != 65536 || r.Offset != 1<<20 || r.MinimumCount != 1 || r.FileID.Volatile != 0x2222 || r.ChannelInfo != nil {
		t.Errorf("%+v", r)
	}
	// Channel info (§2.2.19): an SMB_DIRECT buffer descriptor in the buffer.
	m := msg(SMB2_READ, uint16(49), uint8(0), uint8(0), uint32(1), uint64(0), fid,
		uint32(0), uint32(SMB2_CHANNEL_RDMA_V1), uint32(0), uint16(112), uint16(16), make([]byte, 16))
	if err := r.Decode(m); err != nil || len(r.ChannelInfo) != 16 || r.Channel != 1 {
		t.Errorf("channel info %v %+v", err, r)
	}
	m[HeaderSize+44] = 40
	wantErr(t, "channel info in header", r.Decode(m), ErrOffset)

	resp := encodeBody((&ReadResponse{DataRemaining: 0, Data: []byte("data")}).Encode)
	if !bytes.Equal(resp[64:], lay(uint16(17), uint8(0x50), uint8(0), uint32(4), uint32(0), uint32(0), "data")) {
		t.Errorf("read response % x", resp[64:])
	}
}

// TestWriteRequest checks WRITE (§2.2.21): the data is found by DataOffset,
// aliases the message (zero-copy) and is decoded without allocating.
func TestWriteRequest(t *testing.T) {
	m := writeReq([]byte("hello"))
	var w WriteRequest
	if err := w.Decode(m); err != nil {
		t.Fatal(err)
	}
	if string(w.Data) != "hello" || w.Offset != 4096 || w.Flags != SMB2_WRITEFLAG_WRITE_THROUGH || w.FileID.Persistent != 0x1111 {
		t.Errorf("%+v", w)
	}
	if unsafe.SliceData(w.Data) != &m[112] {
		t.Error("WriteRequest.Data does not alias the message")
	}
	if cap(w.Data) != len(w.Data) {
		t.Error("WriteRequest.Data capacity not clipped")
	}
	if n := testing.AllocsPerRun(100, func() { _ = w.Decode(m) }); n != 0 {
		t.Errorf("decoding WRITE allocates %v times", n)
	}
	bad := bytes.Clone(m)
	copy(bad[HeaderSize+4:], lay(uint32(6)))
	wantErr(t, "data past end", w.Decode(bad), ErrOffset)
	bad = bytes.Clone(m)
	copy(bad[HeaderSize+2:], lay(uint16(100)))
	wantErr(t, "data in fixed part", w.Decode(bad), ErrOffset)
	bad = bytes.Clone(m)
	copy(bad[HeaderSize+4:], lay(uint32(0xFFFFFFFF)))
	wantErr(t, "huge length", w.Decode(bad), ErrOffset)
	bad = bytes.Clone(m)
	copy(bad[HeaderSize+40:], lay(uint16(114), uint16(2))) // channel info inside the data
	wantErr(t, "channel info overlaps data", w.Decode(bad), ErrOverlap)

	resp := encodeBody((&WriteResponse{Count: 5}).Encode)
	if !bytes.Equal(resp[64:], lay(uint16(17), uint16(0), uint32(5), uint32(0), uint16(0), uint16(0))) {
		t.Errorf("write response % x", resp[64:])
	}
}

func TestLockRequest(t *testing.T) {
	var r LockRequest
	if err := r.Decode(lockReq()); err != nil {
		t.Fatal(err)
	}
	if r.LockSequenceNumber != 5 || r.LockSequenceIndex != 3 || len(r.Locks) != 2 ||
		r.Locks[0] != (LockElement{0, 10, SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY}) ||
		r.Locks[1] != (LockElement{100, ^uint64(0) - 100, SMB2_LOCKFLAG_SHARED_LOCK}) {
		t.Errorf("%+v", r)
	}
	lr := lockReq()
	if n := testing.AllocsPerRun(100, func() { _ = r.Decode(lr) }); n != 0 {
		t.Errorf("re-decode allocates %v times", n)
	}
	m := lockReq()
	m[HeaderSize+2] = 0
	wantErr(t, "LockCount 0", r.Decode(m), ErrBadValue)
	m[HeaderSize+2] = 3
	wantErr(t, "LockCount past end", r.Decode(m), ErrShortBuffer)
	m[HeaderSize+2], m[HeaderSize+3] = 0xFF, 0xFF
	wantErr(t, "LockCount huge", r.Decode(m), ErrTooMany)
}

func TestIoctl(t *testing.T) {
	var r IoctlRequest
	if err := r.Decode(ioctlReq()); err != nil {
		t.Fatal(err)
	}
	if string(r.Input) != "abcd" || r.Output != nil || r.CtlCode != FSCTL_VALIDATE_NEGOTIATE_INFO || r.MaxOutputResponse != 24 || r.Flags != 1 {
		t.Errorf("%+v", r)
	}
	m := msg(SMB2_IOCTL, uint16(57), uint16(0), uint32(FSCTL_PIPE_TRANSCEIVE), fid,
		uint32(120), uint32(4), uint32(0), uint32(122), uint32(4), uint32(1024), uint32(1), uint32(0), "abcdef")
	wantErr(t, "overlapping buffers", r.Decode(m), ErrOverlap)
	copy(m[HeaderSize+36:], lay(uint32(124), uint32(2)))
	if err := r.Decode(m); err != nil || string(r.Output) != "ef" {
		t.Errorf("adjacent buffers: %v %q", err, r.Output)
	}
	copy(m[HeaderSize+24:], lay(uint32(8)))
	wantErr(t, "input in header", r.Decode(m), ErrOffset)

	resp := encodeBody((&IoctlResponse{CtlCode: FSCTL_VALIDATE_NEGOTIATE_INFO, FileID: FileID{1, 2}, Input: []byte("abc"), Output: []byte("OUT")}).Encode)
	want := lay(uint16(49), uint16(0), uint32(FSCTL_VALIDATE_NEGOTIATE_INFO), uint64(1), uint64(2),
		uint32(112), uint32(3), uint32(120), uint32(3), uint32(0), uint32(0), "abc", make([]byte, 5), "OUT")
	if !bytes.Equal(resp[64:], want) {
		t.Errorf("ioctl response\n got % x\nwant % x", resp[64:], want)
	}
}

func TestQueryRequests(t *testing.T) {
	var q QueryDirectoryRequest
	if err := q.Decode(queryDirReq()); err != nil {
		t.Fatal(err)
	}
	if s, _ := DecodeUTF16(q.FileName); s != "*.txt" || q.FileInformationClass != FileIdBothDirectoryInformation || q.Flags != SMB2_RESTART_SCANS || q.OutputBufferLength != 65536 {
		t.Errorf("%+v", q)
	}
	m := queryDirReq()
	m[HeaderSize+26]--
	wantErr(t, "odd pattern", q.Decode(m), ErrOddLength)

	var n ChangeNotifyRequest
	if err := n.Decode(changeNotifyReq()); err != nil || n.Flags != SMB2_WATCH_TREE || n.CompletionFilter != 9 || n.OutputBufferLength != 4096 {
		t.Errorf("notify %v %+v", err, n)
	}
	var qi QueryInfoRequest
	if err := qi.Decode(queryInfoReq()); err != nil || string(qi.Input) != "ea1" || qi.InfoType != 1 || qi.FileInfoClass != FileFullEaInformation || qi.Flags != 1 {
		t.Errorf("query info %v %+v", err, qi)
	}
	m = queryInfoReq()
	m[HeaderSize+12] = 4
	wantErr(t, "input past end", qi.Decode(m), ErrOffset)
	var si SetInfoRequest
	if err := si.Decode(setInfoReq()); err != nil || len(si.Buffer) != 8 || si.FileInfoClass != FileEndOfFileInformation {
		t.Errorf("set info %v %+v", err, si)
	}
	m = setInfoReq()
	m[HeaderSize+4] = 9
	wantErr(t, "set info buffer past end", si.Decode(m), ErrOffset)

	resp := encodeBody((&OutputResponse{Output: []byte("out")}).Encode)
	if !bytes.Equal(resp[64:], lay(uint16(9), uint16(72), uint32(3), "out")) {
		t.Errorf("output response % x", resp[64:])
	}
	if resp := encodeBody(EncodeSetInfoResponse); !bytes.Equal(resp[64:], []byte{2, 0}) {
		t.Errorf("set info response % x", resp[64:])
	}
}

func TestOplockBreak(t *testing.T) {
	var r OplockBreakRequest
	if err := r.Decode(oplockAckReq()); err != nil || r.IsLease || r.Oplock.OplockLevel != 1 || r.Oplock.FileID.Persistent != 0x1111 {
		t.Errorf("oplock ack %v %+v", err, r)
	}
	if err := r.Decode(leaseAckReq()); err != nil || !r.IsLease || string(r.Lease.LeaseKey[:]) != "LEASEKEY01234567" || r.Lease.LeaseState != 1 {
		t.Errorf("lease ack %v %+v", err, r)
	}
	if m := encodeBody((&OplockBreak{OplockLevel: 1, FileID: FileID{3, 4}}).Encode); !bytes.Equal(m[64:], lay(uint16(24), uint8(1), uint8(0), uint32(0), uint64(3), uint64(4))) {
		t.Errorf("oplock break % x", m[64:])
	}
	key := GUID{9}
	if m := encodeBody((&LeaseBreakNotification{NewEpoch: 2, Flags: 1, LeaseKey: key, CurrentLeaseState: 7, NewLeaseState: 1}).Encode); !bytes.Equal(m[64:],
		lay(uint16(44), uint16(2), uint32(1), key[:], uint32(7), uint32(1), uint32(0), uint32(0), uint32(0))) {
		t.Errorf("lease break notification % x", m[64:])
	}
	if m := encodeBody((&LeaseBreakAck{LeaseKey: key, LeaseState: 1}).Encode); !bytes.Equal(m[64:], lay(uint16(36), uint16(0), uint32(0), key[:], uint32(1), uint64(0))) {
		t.Errorf("lease break response % x", m[64:])
	}
}

// TestErrorResponse checks §2.2.2: StructureSize 9, one zero byte of
// ErrorData when ByteCount is 0, raw data before 3.1.1, and 3.1.1 error
// contexts (§2.2.2.1) each 8-byte aligned with ByteCount covering them.
func TestErrorResponse(t *testing.T) {
	if m := encodeBody((&ErrorResponse{}).Encode); !bytes.Equal(m[64:], []byte{9, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("empty error % x", m[64:])
	}
	if m := encodeBody((&ErrorResponse{Data: lay(uint32(80))}).Encode); !bytes.Equal(m[64:], lay(uint16(9), uint8(0), uint8(0), uint32(4), uint32(80))) {
		t.Errorf("buffer too small % x", m[64:])
	}
	m := encodeBody((&ErrorResponse{Contexts: []ErrorContext{{SMB2_ERROR_ID_DEFAULT, lay(uint32(80))}, {SMB2_ERROR_ID_SHARE_REDIRECT, []byte("xy")}}}).Encode)
	want := lay(uint16(9), uint8(2), uint8(0), uint32(12+4+10),
		uint32(4), uint32(0), uint32(80), uint32(0),
		uint32(2), uint32(SMB2_ERROR_ID_SHARE_REDIRECT), "xy")
	if !bytes.Equal(m[64:], want) {
		t.Errorf("error contexts\n got % x\nwant % x", m[64:], want)
	}
}

func TestSMB1Negotiate(t *testing.T) {
	frame := readFrame(t, "testdata/smbclient-negotiate-smb1.bin")
	if !IsSMB1(frame) {
		t.Fatal("IsSMB1")
	}
	var n SMB1Negotiate
	if err := n.Decode(frame); err != nil {
		t.Fatal(err)
	}
	if len(n.Dialects) != 4 || string(n.Dialects[0]) != "NT LANMAN 1.0" || !n.Offers("SMB 2.002") || !n.Offers("SMB 2.???") {
		t.Errorf("dialects %q", n.Dialects)
	}
	if d := n.SMB2Dialect(true); d != SMB2_DIALECT_WILDCARD {
		t.Errorf("multi-protocol answer %#x", d)
	}
	if d := n.SMB2Dialect(false); d != SMB2_DIALECT_202 {
		t.Errorf("2.0.2-only answer %#x", d)
	}
	smb1 := func(dialects ...string) []byte {
		var b []byte
		for _, d := range dialects {
			b = append(append(append(b, 2), d...), 0)
		}
		h := append([]byte{0xFF, 'S', 'M', 'B', 0x72}, make([]byte, 27)...)
		return append(h, lay(uint8(0), uint16(len(b)), b)...)
	}
	if err := n.Decode(smb1("NT LM 0.12")); err != nil || n.SMB2Dialect(true) != 0 {
		t.Errorf("SMB1 only: %v %#x", err, n.SMB2Dialect(true))
	}
	if err := n.Decode(smb1("SMB 2.???")); err != nil || n.SMB2Dialect(true) != SMB2_DIALECT_WILDCARD || n.SMB2Dialect(false) != 0 {
		t.Errorf("wildcard only: %v", err)
	}
	bad := smb1("SMB 2.002")
	bad[4] = 0x73
	wantErr(t, "not NEGOTIATE", n.Decode(bad), ErrProtocol)
	bad = smb1("SMB 2.002")
	bad[32] = 1
	wantErr(t, "WordCount", n.Decode(bad), ErrBadValue)
	bad = smb1("SMB 2.002")
	bad[33] = 200
	wantErr(t, "ByteCount past end", n.Decode(bad), ErrShortBuffer)
	bad = smb1("SMB 2.002")
	bad[35] = 3
	wantErr(t, "buffer format", n.Decode(bad), ErrBadValue)
	bad = smb1("SMB 2.002")
	wantErr(t, "no terminator", n.Decode(bad[:len(bad)-1]), ErrShortBuffer)
	if IsSMB1(negotiate311()) {
		t.Error("SMB2 message taken for SMB1")
	}
}
