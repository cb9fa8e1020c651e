package srvsvc

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// Syntax identifiers in their wire form (MS-RPCE §2.2.2.4: the UUID's
// first three fields little-endian), written out from the UUID strings so
// the tests do not depend on parseUUID.
var (
	// 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0 (MS-SRVS §1.9)
	srvsvcWire = Lay([]byte{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88}, uint16(3), uint16(0))
	// 8a885d04-1ceb-11c9-9fe8-08002b104860 v2 (NDR 2.0)
	ndrWire = Lay([]byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}, uint32(2))
	// 71710533-beba-4937-8319-b5dbef9ccc36 v1 (NDR64)
	ndr64Wire = Lay([]byte{0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36}, uint32(1))
	// 6cb71c2c-9812-4540-0300-000000000000 v1: bind time feature
	// negotiation offering both features (MS-RPCE §2.2.2.14)
	btfnWire = Lay([]byte{0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45, 0x03, 0, 0, 0, 0, 0, 0, 0}, uint32(1))
	// 12345778-1234-abcd-ef00-0123456789ab v0 (lsarpc): not served
	lsaWire = Lay([]byte{0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}, uint32(0))
)

// pdu builds a PDU: the common header of C706 §12.6.3.1 (version 5.0,
// little-endian ASCII IEEE data representation) followed by body.
func pdu(ptype, flags uint8, authLen uint16, callID uint32, body ...any) []byte {
	b := Lay(body...)
	return append(Lay(uint8(5), uint8(0), ptype, flags, []byte{0x10, 0, 0, 0}, uint16(16+len(b)), authLen, callID), b...)
}

// bindPDU is a bind (C706 §12.6.4.3) with max_xmit/max_recv and the
// presentation contexts ctxs (each: p_cont_id, abstract syntax, transfer
// syntaxes).
func bindPDU(ptype uint8, callID uint32, xmit, recv uint16, ctxs ...[]byte) []byte {
	body := []any{xmit, recv, uint32(0), uint8(len(ctxs)), uint8(0), uint16(0)}
	for _, c := range ctxs {
		body = append(body, c)
	}
	return pdu(ptype, 3, 0, callID, body...)
}

func ctxElem(id uint16, abstract []byte, transfers ...[]byte) []byte {
	b := Lay(id, uint8(len(transfers)), uint8(0), abstract)
	for _, t := range transfers {
		b = append(b, t...)
	}
	return b
}

func request(callID uint32, flags uint8, ctx, opnum uint16, stub []byte) []byte {
	return pdu(0, flags, 0, callID, uint32(len(stub)), ctx, opnum, stub)
}

func testShares() []Share {
	return []Share{
		{Name: "export", Type: STYPE_DISKTREE, Path: `C:\export`},
		{Name: "ro", Type: STYPE_DISKTREE, Comment: "read-only", Path: `C:\ro`, Flags: SHI1005_FLAGS_ENCRYPT_DATA},
		{Name: "IPC$", Type: STYPE_IPC | STYPE_SPECIAL, Comment: "IPC Service"},
	}
}

func newTestPipe() *Pipe { return NewPipe(0x1234, testShares) }

// roundTrip writes in and reads every queued reply message.
func roundTrip(t *testing.T, p *Pipe, in []byte) [][]byte {
	t.Helper()
	if err := p.Write(in); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var out [][]byte
	for {
		b, more := p.Read(1 << 20)
		if b == nil {
			return out
		}
		if more {
			t.Fatal("message cut with a 1 MiB read")
		}
		out = append(out, b)
	}
}

func bound(t *testing.T, xmit, recv uint16) *Pipe {
	t.Helper()
	p := newTestPipe()
	r := roundTrip(t, p, bindPDU(ptBind, 1, xmit, recv, ctxElem(0, srvsvcWire, ndrWire)))
	if len(r) != 1 || r[0][2] != ptBindAck {
		t.Fatalf("bind: %x", r)
	}
	return p
}

// TestBind: a bind offering srvsvc over NDR and NDR64, bind time feature
// negotiation, and another interface gets a bind_ack (C706 §12.6.4.4)
// accepting NDR for the first, provider-rejecting NDR64 with
// proposed_transfer_syntaxes_not_supported, acknowledging the feature
// negotiation with no feature (MS-RPCE §3.3.1.5.3), and rejecting the
// unknown interface with abstract_syntax_not_supported. The fragment
// sizes are the smaller of the client's and 4280; a client that asks for
// no association group gets one.
func TestBind(t *testing.T) {
	p := newTestPipe()
	r := roundTrip(t, p, bindPDU(ptBind, 7, 5840, 5840,
		ctxElem(0, srvsvcWire, ndrWire),
		ctxElem(1, srvsvcWire, ndr64Wire),
		ctxElem(2, srvsvcWire, btfnWire),
		ctxElem(3, lsaWire, ndrWire)))
	zero := make([]byte, 20)
	want := pdu(ptBindAck, 3, 0, 7, uint16(4280), uint16(4280), uint32(0x1234),
		uint16(13), "\\PIPE\\srvsvc\x00", uint8(0), // sec_addr and padding to 4
		uint8(4), uint8(0), uint16(0),
		uint16(0), uint16(0), ndrWire,
		uint16(2), uint16(2), zero,
		uint16(3), uint16(0), zero,
		uint16(2), uint16(1), zero)
	if len(r) != 1 || !bytes.Equal(r[0], want) {
		t.Fatalf("bind_ack\n got %x\nwant %x", r, want)
	}
	// alter_context adds a context; its response has an empty sec_addr.
	r = roundTrip(t, p, bindPDU(ptAlterContext, 8, 5840, 5840, ctxElem(5, srvsvcWire, ndr64Wire, ndrWire)))
	want = pdu(ptAlterResp, 3, 0, 8, uint16(4280), uint16(4280), uint32(0x1234), uint16(0), uint16(0),
		uint8(1), uint8(0), uint16(0), uint16(0), uint16(0), ndrWire)
	if len(r) != 1 || !bytes.Equal(r[0], want) {
		t.Fatalf("alter_context_resp\n got %x\nwant %x", r, want)
	}
	for _, id := range []uint16{0, 5} {
		r = roundTrip(t, p, request(9, 3, id, opNetrShareGetInfo, getInfoStub("export", 0)))
		if r[0][2] != ptResponse {
			t.Fatalf("context %d: %x", id, r[0])
		}
	}
	// The association group the client names is kept.
	p = newTestPipe()
	b := bindPDU(ptBind, 1, 2000, 1500, ctxElem(0, srvsvcWire, ndrWire))
	binary.LittleEndian.PutUint32(b[20:], 0xabcd)
	r = roundTrip(t, p, b)
	if got := Lay(uint16(1500), uint16(2000), uint32(0xabcd)); !bytes.Equal(r[0][16:24], got) {
		t.Fatalf("sizes and group: %x, want %x", r[0][16:24], got)
	}
}

// TestBindNak: a bind with an auth verifier (no authentication type is
// supported: MS-RPCE reason 8) or fragment sizes below MUST_RECV_FRAG_SIZE
// (C706 §12.6.3.3) gets a bind_nak naming version 5.0.
func TestBindNak(t *testing.T) {
	// sec_trailer (RPC_C_AUTHN_WINNT, packet integrity) and a 16-byte token
	b := pdu(ptBind, 3, 16, 4, uint16(4280), uint16(4280), uint32(0), uint8(1), uint8(0), uint16(0),
		ctxElem(0, srvsvcWire, ndrWire), Lay(uint8(10), uint8(5), uint8(0), uint8(0), uint32(0), make([]byte, 16)))
	r := roundTrip(t, newTestPipe(), b)
	if want := pdu(ptBindNak, 3, 0, 4, uint16(8), uint8(1), uint8(5), uint8(0)); len(r) != 1 || !bytes.Equal(r[0], want) {
		t.Fatalf("auth: %x, want %x", r, want)
	}
	r = roundTrip(t, newTestPipe(), bindPDU(ptBind, 5, 1000, 4280, ctxElem(0, srvsvcWire, ndrWire)))
	if want := pdu(ptBindNak, 3, 0, 5, uint16(0), uint8(1), uint8(5), uint8(0)); len(r) != 1 || !bytes.Equal(r[0], want) {
		t.Fatalf("small fragments: %x, want %x", r, want)
	}
	// A bind that does not parse (more than 16 contexts, a context cut
	// short) is a protocol error: PROTOCOL_VERSION_NOT_SPECIFIED (MS-RPCE
	// §2.2.2.5); the pipe can still bind.
	for name, b := range map[string][]byte{
		"255 contexts":      pdu(ptBind, 3, 0, 6, uint16(4280), uint16(4280), uint32(0), uint8(255), uint8(0), uint16(0)),
		"context truncated": pdu(ptBind, 3, 0, 6, uint16(4280), uint16(4280), uint32(0), uint8(1), uint8(0), uint16(0), uint16(0), uint8(200), uint8(0), srvsvcWire),
		"no transfer":       pdu(ptBind, 3, 0, 6, uint16(4280), uint16(4280), uint32(0), uint8(1), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), srvsvcWire),
	} {
		p := newTestPipe()
		r = roundTrip(t, p, b)
		if want := pdu(ptBindNak, 3, 0, 6, uint16(4), uint8(1), uint8(5), uint8(0)); len(r) != 1 || !bytes.Equal(r[0], want) {
			t.Errorf("%s: %x, want %x", name, r, want)
		}
		if r = roundTrip(t, p, bindPDU(ptBind, 7, 4280, 4280, ctxElem(0, srvsvcWire, ndrWire))); r[0][2] != ptBindAck {
			t.Errorf("%s: then %x", name, r)
		}
	}
}

// faultPDU is a fault (C706 §12.6.4.7) that did not execute.
func faultPDU(callID uint32, ctx uint16, status uint32) []byte {
	return pdu(ptFault, 3|pfcDidNotExecute, 0, callID, uint32(0), ctx, uint8(0), uint8(0), status, uint32(0))
}

// TestFaults: an unknown opnum is nca_s_op_rng_error, a call on a context
// that was not accepted (or before any bind) nca_s_unk_if, stub data that
// does not decode RPC_X_BAD_STUB_DATA; the pipe goes on serving.
func TestFaults(t *testing.T) {
	r := roundTrip(t, newTestPipe(), request(2, 3, 0, 15, nil))
	if want := faultPDU(2, 0, 0x1C010003); !bytes.Equal(r[0], want) {
		t.Fatalf("before bind: %x, want %x", r[0], want)
	}
	p := bound(t, 4280, 4280)
	for _, c := range []struct {
		ctx, op uint16
		stub    []byte
		status  uint32
	}{
		{0, 21, nil, 0x1C010002},  // NetrServerGetInfo: not served
		{0, 999, nil, 0x1C010002}, // no such opnum
		{1, 15, nil, 0x1C010003},  // context 1 was not bound
		{0, 15, []byte{1}, 0x6F7}, // truncated NetrShareEnum
		{0, 16, Lay(uint32(0), uint32(5), uint32(0), uint32(9)), 0x6F7}, // actual count > max count
	} {
		r := roundTrip(t, p, request(3, 3, c.ctx, c.op, c.stub))
		if want := faultPDU(3, c.ctx, c.status); len(r) != 1 || !bytes.Equal(r[0], want) {
			t.Errorf("ctx %d op %d: %x, want %x", c.ctx, c.op, r, want)
		}
	}
	if r := roundTrip(t, p, request(4, 3, 0, opNetrShareGetInfo, getInfoStub("ro", 1005))); r[0][2] != ptResponse {
		t.Fatalf("after faults: %x", r[0])
	}
}

// responseStub checks that msgs are the response fragments of one call
// (C706 §12.6.4.10: first and last flags, the context, no fragment
// larger than max, the stub of all but the last a multiple of 8) and
// returns the reassembled stub.
func responseStub(t *testing.T, msgs [][]byte, callID uint32, max int) []byte {
	t.Helper()
	var stub []byte
	for i, m := range msgs {
		h := parseHeader(m)
		want := byte(0)
		if i == 0 {
			want |= pfcFirstFrag
		}
		if i == len(msgs)-1 {
			want |= pfcLastFrag
		}
		if h.ptype != ptResponse || h.flags != want || h.callID != callID || int(h.fragLen) != len(m) || len(m) > max {
			t.Fatalf("fragment %d of %d: %x", i, len(msgs), m[:24])
		}
		if i < len(msgs)-1 && (len(m)-24)%8 != 0 {
			t.Fatalf("fragment %d: stub of %d bytes", i, len(m)-24)
		}
		stub = append(stub, m[24:]...)
	}
	return stub
}

// TestFragmentation: with max_recv_frag 1432 a long share list comes back
// in several fragments that reassemble to the single-fragment reply; a
// request split into fragments, and bytes written one at a time, are
// served the same.
func TestFragmentation(t *testing.T) {
	many := func() []Share {
		s := make([]Share, 100)
		for i := range s {
			s[i] = Share{Name: "share-with-a-long-name" + string(rune('a'+i%26)), Comment: "comment", Path: `C:\x`}
		}
		return s
	}
	small := NewPipe(1, many)
	roundTrip(t, small, bindPDU(ptBind, 1, 1432, 1432, ctxElem(0, srvsvcWire, ndrWire)))
	big := NewPipe(1, many)
	roundTrip(t, big, bindPDU(ptBind, 1, 4280, 4280, ctxElem(0, srvsvcWire, ndrWire)))
	req := request(2, 3, 0, opNetrShareEnum, enumStub(2, true))
	r := roundTrip(t, small, req)
	if len(r) < 4 {
		t.Fatalf("%d fragments", len(r))
	}
	got := responseStub(t, r, 2, 1432)
	full := responseStub(t, roundTrip(t, big, req), 2, 4280)
	if !bytes.Equal(got, full) {
		t.Fatal("fragmented reply differs")
	}
	// A request in three fragments, each stub 8 bytes or less.
	stub := enumStub(2, true)
	var frags []byte
	for i := 0; i < len(stub); i += 8 {
		f := byte(0)
		if i == 0 {
			f |= pfcFirstFrag
		}
		if i+8 >= len(stub) {
			f |= pfcLastFrag
		}
		frags = append(frags, request(3, f, 0, opNetrShareEnum, stub[i:min(i+8, len(stub))])...)
	}
	if got := responseStub(t, roundTrip(t, big, frags), 3, 4280); !bytes.Equal(got, full) {
		t.Fatal("reply to a fragmented request differs")
	}
	for _, c := range req {
		if err := big.Write([]byte{c}); err != nil {
			t.Fatal(err)
		}
	}
	var msgs [][]byte
	for b, _ := big.Read(4280); b != nil; b, _ = big.Read(4280) {
		msgs = append(msgs, b)
	}
	if got := responseStub(t, msgs, 2, 4280); !bytes.Equal(got, full) {
		t.Fatal("reply to a byte-at-a-time request differs")
	}
	// A short read returns part of the message and says so.
	big.Write(request(4, 3, 0, opNetrShareGetInfo, getInfoStub("export", 0)))
	a, more := big.Read(10)
	b, more2 := big.Read(1000)
	if len(a) != 10 || !more || more2 || parseHeader(append(a, b...)).fragLen != uint16(len(a)+len(b)) {
		t.Fatalf("short read: %d %v, %d %v", len(a), more, len(b), more2)
	}
}

// TestBounds: bad headers, oversized fragments and requests, and a
// client that never reads break the pipe or are refused before anything
// is allocated for them.
func TestBounds(t *testing.T) {
	for name, b := range map[string][]byte{
		"version 4":       append([]byte{4}, bindPDU(ptBind, 1, 4280, 4280, ctxElem(0, srvsvcWire, ndrWire))[1:]...),
		"big-endian":      func() []byte { b := bindPDU(ptBind, 1, 4280, 4280); b[4] = 0; return b }(),
		"frag_length 8":   Lay(uint8(5), uint8(0), uint8(ptBind), uint8(3), []byte{0x10, 0, 0, 0}, uint16(8), uint16(0), uint32(1)),
		"frag over 4280":  Lay(uint8(5), uint8(0), uint8(ptRequest), uint8(3), []byte{0x10, 0, 0, 0}, uint16(4281), uint16(0), uint32(1)),
		"alter truncated": pdu(ptAlterContext, 3, 0, 1, uint16(4280), uint16(4280), uint32(0), uint8(1), uint8(0), uint16(0), uint16(0), uint8(200), uint8(0), srvsvcWire),
		"auth3":           pdu(ptAuth3, 3, 0, 1, uint32(0)),
		"response":        pdu(ptResponse, 3, 0, 1, uint32(0), uint16(0), uint16(0)),
		"middle fragment": request(1, 0, 0, 15, nil),
	} {
		p := bound(t, 4280, 4280)
		if err := p.Write(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if err := p.Write(request(2, 3, 0, opNetrShareEnum, enumStub(1, false))); err == nil {
			t.Errorf("%s: pipe not broken", name)
		}
	}
	// A request announcing more than MaxRequest is refused with a fault.
	p := bound(t, 4280, 4280)
	b := request(2, pfcFirstFrag, 0, 15, nil)
	binary.LittleEndian.PutUint32(b[16:], MaxRequest+1)
	if err := p.Write(b); err == nil {
		t.Fatal("alloc_hint past MaxRequest accepted")
	}
	if m, _ := p.Read(100); !bytes.Equal(m, faultPDU(2, 0, 0x1C01000B)) {
		t.Fatalf("fault: %x", m)
	}
	// Fragments adding up past MaxRequest.
	p = bound(t, 4280, 4280)
	err := p.Write(request(2, pfcFirstFrag, 0, 15, make([]byte, 4000)))
	for i := 0; err == nil && i < MaxRequest/4000+1; i++ {
		err = p.Write(request(2, 0, 0, 15, make([]byte, 4000)))
	}
	if err == nil {
		t.Fatal("request past MaxRequest accepted")
	}
	// Writing without reading stops past MaxPending.
	p = bound(t, 4280, 4280)
	req := request(2, 3, 0, opNetrShareEnum, enumStub(2, false))
	for i := 0; ; i++ {
		if err := p.Write(req); err != nil {
			if err != ErrBusy || p.Pending() <= MaxPending || p.Pending() > MaxPending+4280 {
				t.Fatalf("%v with %d pending", err, p.Pending())
			}
			break
		}
		if i > MaxPending {
			t.Fatal("never busy")
		}
	}
	// So does one write holding many requests.
	p = bound(t, 4280, 4280)
	if err := p.Write(bytes.Repeat(req, 2*MaxPending/len(req))); err != ErrBusy || p.Pending() > MaxPending+4280 {
		t.Fatalf("one big write: %v with %d pending", err, p.Pending())
	}
}

// TestSmbclientCapture replays what smbclient 4.17 `-L` wrote to the
// pipe (captured from TestSmbclientListShares): its bind (srvsvc over
// NDR, 4280-byte fragments) is accepted, and its NetrShareEnum level 1,
// naming the server "127.0.0.1" and with a resume handle, gets the reply
// TestShareEnum checks byte by byte.
func TestSmbclientCapture(t *testing.T) {
	bind, err := os.ReadFile("testdata/smbclient-bind.bin")
	if err != nil {
		t.Fatal(err)
	}
	enum, err := os.ReadFile("testdata/smbclient-netshareenum.bin")
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPipe()
	r := roundTrip(t, p, bind)
	if len(r) != 1 || r[0][2] != ptBindAck || !bytes.Equal(r[0][len(r[0])-24:], Lay(uint16(0), uint16(0), ndrWire)) {
		t.Fatalf("bind_ack: %x", r)
	}
	got := responseStub(t, roundTrip(t, p, enum), 2, 4280)
	if want := call(t, opNetrShareEnum, enumStub(1, true)); !bytes.Equal(got, want) {
		t.Fatalf("reply\n got %x\nwant %x", got, want)
	}
}
