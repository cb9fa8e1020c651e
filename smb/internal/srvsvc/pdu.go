package srvsvc

import (
	"encoding/binary"
	"errors"
)

// PDU types (C706 §12.6.4.1, MS-RPCE §2.2.2.1).
const (
	ptRequest      = 0
	ptResponse     = 2
	ptFault        = 3
	ptBind         = 11
	ptBindAck      = 12
	ptBindNak      = 13
	ptAlterContext = 14
	ptAlterResp    = 15
	ptAuth3        = 16
	ptShutdown     = 17
	ptCoCancel     = 18
	ptOrphaned     = 19
)

// pfc_flags (C706 §12.6.3.1).
const (
	pfcFirstFrag      = 0x01
	pfcLastFrag       = 0x02
	pfcDidNotExecute  = 0x20
	pfcObjectUUID     = 0x80
	headerSize        = 16
	requestHeaderSize = 24 // common header, alloc_hint, p_cont_id, opnum
	respHeaderSize    = 24 // common header, alloc_hint, p_cont_id, cancel_count, reserved
	// mustRecvFragSize is the smallest fragment every implementation must
	// accept (C706 §12.6.3.3, MUST_RECV_FRAG_SIZE).
	mustRecvFragSize = 1432
	// maxFrag is the largest fragment this server receives and sends,
	// Samba's default.
	maxFrag = 4280
)

// Fault statuses (C706 Appendix E, MS-RPCE §3.1.1.5.5).
const (
	ncaOpRangeError = 0x1C010002 // nca_s_op_rng_error: no such opnum
	ncaUnknownIf    = 0x1C010003 // nca_s_unk_if: context not bound
	ncaProtoError   = 0x1C01000B // nca_s_proto_error
	faultBadStub    = 0x000006F7 // RPC_X_BAD_STUB_DATA (nca_s_fault_ndr)
)

// Presentation context results and provider reasons (C706 §12.6.3.1,
// MS-RPCE §2.2.2.4 and §3.3.1.5.3 for negotiate_ack).
const (
	resultAcceptance   = 0
	resultProviderRej  = 2
	resultNegotiateAck = 3

	reasonAbstractNotSupported = 1
	reasonTransferNotSupported = 2

	// bind_nak p_reject_reason_t values.
	rejectNotSpecified         = 0
	rejectProtocolError        = 4 // PROTOCOL_VERSION_NOT_SPECIFIED (MS-RPCE §2.2.2.5)
	rejectAuthTypeNotRecognzed = 8
)

// syntaxID is a p_syntax_id_t: an interface or transfer syntax UUID in
// its wire (little-endian fields) form, and its version (major in the low
// 16 bits, minor in the high 16 bits).
type syntaxID struct {
	uuid    [16]byte
	version uint32
}

func parseUUID(s string) [16]byte {
	var h []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			h = append(h, s[i])
		}
	}
	var raw [16]byte
	for i := range raw {
		raw[i] = unhex(h[2*i])<<4 | unhex(h[2*i+1])
	}
	// time_low, time_mid and time_hi_and_version are little-endian on
	// the wire (NDR), the last 8 bytes in order.
	var u [16]byte
	u[0], u[1], u[2], u[3] = raw[3], raw[2], raw[1], raw[0]
	u[4], u[5] = raw[5], raw[4]
	u[6], u[7] = raw[7], raw[6]
	copy(u[8:], raw[8:])
	return u
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

var (
	// srvsvc v3.0 (MS-SRVS §1.9).
	srvsvcSyntax = syntaxID{parseUUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3}
	// NDR 2.0 (C706 Appendix I, MS-RPCE §2.2.4.12).
	ndrSyntax = syntaxID{parseUUID("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2}
	// NDR64 (MS-RPCE §2.2.4.12): refused.
	ndr64Syntax = syntaxID{parseUUID("71710533-beba-4937-8319-b5dbef9ccc36"), 1}
)

// bindTimeFeature is the first 8 bytes of the bind time feature
// negotiation "transfer syntax" (MS-RPCE §3.3.1.5.3); the other 8 bytes
// are the feature bitmask.
var bindTimeFeature = parseUUID("6cb71c2c-9812-4540-0000-000000000000")

func (s syntaxID) isBindTimeFeature() bool {
	return [8]byte(s.uuid[:8]) == [8]byte(bindTimeFeature[:8]) && s.version == 1
}

var errProtocol = errors.New("srvsvc: DCE/RPC protocol error")

// header is the common header of a connection-oriented PDU (C706
// §12.6.3.1).
type header struct {
	ptype    byte
	flags    byte
	fragLen  uint16
	authLen  uint16
	callID   uint32
	drepLE   bool // integers little-endian, ASCII, IEEE floats
	versions bool // rpc_vers 5, rpc_vers_minor 0 or 1
}

func parseHeader(b []byte) header {
	return header{
		ptype:    b[2],
		flags:    b[3],
		fragLen:  binary.LittleEndian.Uint16(b[8:]),
		authLen:  binary.LittleEndian.Uint16(b[10:]),
		callID:   binary.LittleEndian.Uint32(b[12:]),
		drepLE:   b[4] == 0x10 && b[5] == 0,
		versions: b[0] == 5 && b[1] <= 1,
	}
}

// appendHeader appends a common header; the fragment length is patched
// by finish.
func appendHeader(b []byte, ptype, flags byte, callID uint32) []byte {
	b = append(b, 5, 0, ptype, flags, 0x10, 0, 0, 0, 0, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(b, callID)
}

func finish(b []byte) []byte {
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

// contextElem is one p_cont_elem_t of a bind or alter_context.
type contextElem struct {
	id       uint16
	abstract syntaxID
	// transfers is the raw list of transfer syntaxes, 20 bytes each.
	transfers []byte
}

func readSyntax(b []byte) syntaxID {
	return syntaxID{uuid: [16]byte(b[:16]), version: binary.LittleEndian.Uint32(b[16:])}
}

// bindBody is the body of a bind or alter_context PDU (C706 §12.6.4.3).
type bindBody struct {
	maxXmit, maxRecv uint16
	assocGroup       uint32
	contexts         []contextElem
}

// maxContexts bounds the presentation contexts of one bind.
const maxContexts = 16

func parseBind(pdu []byte) (bindBody, error) {
	var bb bindBody
	b := pdu[headerSize:]
	if len(b) < 12 {
		return bb, errProtocol
	}
	bb.maxXmit = binary.LittleEndian.Uint16(b)
	bb.maxRecv = binary.LittleEndian.Uint16(b[2:])
	bb.assocGroup = binary.LittleEndian.Uint32(b[4:])
	n := int(b[8])
	if n > maxContexts {
		return bb, errProtocol
	}
	b = b[12:]
	bb.contexts = make([]contextElem, 0, n)
	for range n {
		if len(b) < 24 {
			return bb, errProtocol
		}
		ce := contextElem{id: binary.LittleEndian.Uint16(b), abstract: readSyntax(b[4:])}
		nt := int(b[2])
		b = b[24:]
		if nt == 0 || len(b) < 20*nt {
			return bb, errProtocol
		}
		ce.transfers = b[:20*nt]
		b = b[20*nt:]
		bb.contexts = append(bb.contexts, ce)
	}
	return bb, nil
}

// requestBody is the body of a request PDU (C706 §12.6.4.9).
type requestBody struct {
	allocHint uint32
	ctxID     uint16
	opnum     uint16
	stub      []byte
}

func parseRequest(pdu []byte, h header) (requestBody, error) {
	if len(pdu) < requestHeaderSize {
		return requestBody{}, errProtocol
	}
	rb := requestBody{
		allocHint: binary.LittleEndian.Uint32(pdu[16:]),
		ctxID:     binary.LittleEndian.Uint16(pdu[20:]),
		opnum:     binary.LittleEndian.Uint16(pdu[22:]),
	}
	body := pdu[requestHeaderSize:]
	if h.flags&pfcObjectUUID != 0 {
		if len(body) < 16 {
			return rb, errProtocol
		}
		body = body[16:]
	}
	if h.authLen > 0 {
		// The auth verifier: 8 bytes of sec_trailer and the token,
		// after padding (MS-RPCE §2.2.2.11).
		n := 8 + int(h.authLen)
		if len(body) < n {
			return rb, errProtocol
		}
		body = body[:len(body)-n]
	}
	rb.stub = body
	return rb, nil
}
