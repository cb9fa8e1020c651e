package ntlm

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf16"
)

// Flags are the NegotiateFlags of MS-NLMP 2.2.2.5.
type Flags uint32

// The negotiate flags, spelled as in MS-NLMP 2.2.2.5.
const (
	NTLMSSP_NEGOTIATE_UNICODE                  Flags = 0x00000001
	NTLM_NEGOTIATE_OEM                         Flags = 0x00000002
	NTLMSSP_REQUEST_TARGET                     Flags = 0x00000004
	NTLMSSP_NEGOTIATE_SIGN                     Flags = 0x00000010
	NTLMSSP_NEGOTIATE_SEAL                     Flags = 0x00000020
	NTLMSSP_NEGOTIATE_DATAGRAM                 Flags = 0x00000040
	NTLMSSP_NEGOTIATE_LM_KEY                   Flags = 0x00000080
	NTLMSSP_NEGOTIATE_NTLM                     Flags = 0x00000200
	NTLMSSP_ANONYMOUS                          Flags = 0x00000800
	NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED      Flags = 0x00001000
	NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED Flags = 0x00002000
	NTLMSSP_NEGOTIATE_ALWAYS_SIGN              Flags = 0x00008000
	NTLMSSP_TARGET_TYPE_DOMAIN                 Flags = 0x00010000
	NTLMSSP_TARGET_TYPE_SERVER                 Flags = 0x00020000
	NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY Flags = 0x00080000
	NTLMSSP_NEGOTIATE_IDENTIFY                 Flags = 0x00100000
	NTLMSSP_REQUEST_NON_NT_SESSION_KEY         Flags = 0x00400000
	NTLMSSP_NEGOTIATE_TARGET_INFO              Flags = 0x00800000
	NTLMSSP_NEGOTIATE_VERSION                  Flags = 0x02000000
	NTLMSSP_NEGOTIATE_128                      Flags = 0x20000000
	NTLMSSP_NEGOTIATE_KEY_EXCH                 Flags = 0x40000000
	NTLMSSP_NEGOTIATE_56                       Flags = 0x80000000
)

// AV_PAIR identifiers (MS-NLMP 2.2.2.1).
const (
	MsvAvEOL             uint16 = 0
	MsvAvNbComputerName  uint16 = 1
	MsvAvNbDomainName    uint16 = 2
	MsvAvDnsComputerName uint16 = 3
	MsvAvDnsDomainName   uint16 = 4
	MsvAvDnsTreeName     uint16 = 5
	MsvAvFlags           uint16 = 6
	MsvAvTimestamp       uint16 = 7
	MsvAvSingleHost      uint16 = 8
	MsvAvTargetName      uint16 = 9
	MsvAvChannelBindings uint16 = 10
)

// msvAvFlagMICPresent is the MsvAvFlags bit saying the AUTHENTICATE_MESSAGE
// carries a MIC (MS-NLMP 2.2.2.1, 0x00000002).
const msvAvFlagMICPresent = 0x00000002

// Message types (MS-NLMP 2.2.1).
const (
	msgNegotiate    = 1
	msgChallenge    = 2
	msgAuthenticate = 3
)

// Bounds. A SESSION_SETUP security buffer is at most 65535 bytes (its
// length is a uint16), so no NTLMSSP message is larger.
const (
	// MaxMessageSize is the largest NEGOTIATE or AUTHENTICATE message accepted.
	MaxMessageSize = 65535
	// MaxNameBytes bounds the user, domain and workstation names of an
	// AUTHENTICATE_MESSAGE: 256 UTF-16 code units, above Windows' limits
	// (20 for a SAM account name, 255 for a DNS name).
	MaxNameBytes = 512
	// MaxNTResponse bounds NtChallengeResponse: the NTLMv2 proof, the
	// client's blob and its AV_PAIRs (our six, MsvAvFlags, SingleHost,
	// ChannelBindings, TargetName), under 2 KiB from every client seen.
	MaxNTResponse = 8192
	// maxAVPairs bounds the AV_PAIRs parsed from a client's blob.
	maxAVPairs = 64
)

var signature = [8]byte{'N', 'T', 'L', 'M', 'S', 'S', 'P', 0}

// IsNTLMSSP reports whether tok starts with the NTLMSSP signature, as a raw
// NTLMSSP token (sent without SPNEGO) does.
func IsNTLMSSP(tok []byte) bool {
	return len(tok) >= 8 && [8]byte(tok[:8]) == signature
}

// Version is the VERSION structure (MS-NLMP 2.2.2.10).
type Version struct {
	Major, Minor uint8
	Build        uint16
	Revision     uint8 // NTLMSSP_REVISION_W2K3 = 15
}

// DefaultVersion is the Version sent when Config.Version is zero: Windows
// 6.1.7600 revision 15, what Samba sends.
var DefaultVersion = Version{Major: 6, Minor: 1, Build: 7600, Revision: 15}

func (v Version) bytes() [8]byte {
	var b [8]byte
	b[0], b[1] = v.Major, v.Minor
	binary.LittleEndian.PutUint16(b[2:], v.Build)
	b[7] = v.Revision
	return b
}

type avPair struct {
	id    uint16
	value []byte
}

// encodeAVPairs returns the AV_PAIR list followed by MsvAvEOL.
func encodeAVPairs(pairs []avPair) []byte {
	var b []byte
	for _, p := range pairs {
		b = binary.LittleEndian.AppendUint16(b, p.id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(p.value)))
		b = append(b, p.value...)
	}
	return append(b, 0, 0, 0, 0)
}

// parseAVPairs parses an AV_PAIR list up to and including MsvAvEOL; bytes
// after MsvAvEOL are ignored (the NTLMv2 blob ends with Z(4) after it).
func parseAVPairs(b []byte) ([]avPair, error) {
	var pairs []avPair
	for len(b) >= 4 {
		id := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if id == MsvAvEOL {
			return pairs, nil
		}
		if n > len(b)-4 {
			return nil, errorf(CodeMalformed, fmt.Sprintf("AV_PAIR %d of %d bytes past the end", id, n))
		}
		if len(pairs) == maxAVPairs {
			return nil, errorf(CodeTooLarge, "too many AV_PAIRs")
		}
		pairs = append(pairs, avPair{id, b[4 : 4+n]})
		b = b[4+n:]
	}
	return nil, errorf(CodeMalformed, "AV_PAIR list without MsvAvEOL")
}

func findAV(pairs []avPair, id uint16) ([]byte, bool) {
	for _, p := range pairs {
		if p.id == id {
			return p.value, true
		}
	}
	return nil, false
}

// utf16le encodes s as UTF-16LE.
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// fromUTF16LE decodes UTF-16LE, refusing odd lengths and unpaired surrogates
// (which would not survive the round trip that NTOWFv2 needs).
func fromUTF16LE(b []byte, what string) (string, error) {
	if len(b)%2 != 0 {
		return "", errorf(CodeMalformed, what+" has an odd number of bytes")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for i := 0; i < len(u); i++ {
		switch {
		case utf16.IsSurrogate(rune(u[i])) && u[i] < 0xdc00 && i+1 < len(u) && u[i+1] >= 0xdc00 && u[i+1] <= 0xdfff:
			i++
		case utf16.IsSurrogate(rune(u[i])):
			return "", errorf(CodeMalformed, what+" has an unpaired surrogate")
		}
	}
	return string(utf16.Decode(u)), nil
}

// payloadField is a (Len, MaxLen, BufferOffset) triple (MS-NLMP 2.2.1.1).
type payloadField struct {
	name string
	len  int
	off  int
}

func readField(msg []byte, at int, name string) payloadField {
	return payloadField{
		name: name,
		len:  int(binary.LittleEndian.Uint16(msg[at:])),
		off:  int(binary.LittleEndian.Uint32(msg[at+4:])),
	}
}

// checkFields bounds every non-empty field: inside msg, after the fixed
// part (headerEnd), and not overlapping another field. It returns the
// smallest offset of a non-empty field, or len(msg) when all are empty.
// MaxLen is ignored, as MS-NLMP 2.2.1.1 allows.
func checkFields(msg []byte, headerEnd int, fields []payloadField) (int, error) {
	var used []payloadField
	for _, f := range fields {
		if f.len == 0 {
			continue
		}
		if f.off < headerEnd {
			return 0, errorf(CodeMalformed, fmt.Sprintf("%s at offset %d inside the %d-byte header", f.name, f.off, headerEnd))
		}
		if f.off > len(msg) || f.len > len(msg)-f.off {
			return 0, errorf(CodeMalformed, fmt.Sprintf("%s (%d bytes at %d) past the end of a %d-byte message", f.name, f.len, f.off, len(msg)))
		}
		used = append(used, f)
	}
	slices.SortFunc(used, func(a, b payloadField) int { return a.off - b.off })
	for i := 1; i < len(used); i++ {
		if used[i-1].off+used[i-1].len > used[i].off {
			return 0, errorf(CodeMalformed, used[i-1].name+" overlaps "+used[i].name)
		}
	}
	if len(used) == 0 {
		return len(msg), nil
	}
	return used[0].off, nil
}

func checkHeader(msg []byte, typ uint32, min int) error {
	if len(msg) > MaxMessageSize {
		return errorf(CodeTooLarge, fmt.Sprintf("%d-byte message", len(msg)))
	}
	if len(msg) < min {
		return errorf(CodeMalformed, fmt.Sprintf("%d-byte message, need %d", len(msg), min))
	}
	if [8]byte(msg[:8]) != signature {
		return errorf(CodeMalformed, "no NTLMSSP signature")
	}
	if t := binary.LittleEndian.Uint32(msg[8:]); t != typ {
		return errorf(CodeMalformed, fmt.Sprintf("message type %d, want %d", t, typ))
	}
	return nil
}

// negotiateMessage is the part of a NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1)
// the server uses.
type negotiateMessage struct {
	flags Flags
}

// parseNegotiate parses a NEGOTIATE_MESSAGE. Like Samba it accepts the
// 16-byte form without the domain and workstation fields; when present,
// they are bounds-checked and otherwise ignored (they are OEM strings the
// server has no use for).
func parseNegotiate(msg []byte) (negotiateMessage, error) {
	if err := checkHeader(msg, msgNegotiate, 16); err != nil {
		return negotiateMessage{}, err
	}
	m := negotiateMessage{flags: Flags(binary.LittleEndian.Uint32(msg[12:]))}
	if len(msg) >= 32 {
		header := 32
		if m.flags&NTLMSSP_NEGOTIATE_VERSION != 0 && len(msg) >= 40 {
			header = 40
		}
		_, err := checkFields(msg, header, []payloadField{
			readField(msg, 16, "DomainName"),
			readField(msg, 24, "Workstation"),
		})
		if err != nil {
			return negotiateMessage{}, err
		}
	}
	return m, nil
}

// The fixed layout of a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2): the payload
// follows the 8-byte Version at 48.
const challengeHeader = 56

// encodeChallenge builds a CHALLENGE_MESSAGE. targetName is UTF-16LE;
// targetInfo is an encoded AV_PAIR list. The Version field is zero unless
// NTLMSSP_NEGOTIATE_VERSION is set (MS-NLMP 2.2.1.2).
func encodeChallenge(flags Flags, challenge [8]byte, targetName, targetInfo []byte, v Version) []byte {
	b := make([]byte, challengeHeader, challengeHeader+len(targetName)+len(targetInfo))
	copy(b, signature[:])
	binary.LittleEndian.PutUint32(b[8:], msgChallenge)
	putField(b[12:], len(targetName), challengeHeader)
	binary.LittleEndian.PutUint32(b[20:], uint32(flags))
	copy(b[24:32], challenge[:])
	putField(b[40:], len(targetInfo), challengeHeader+len(targetName))
	if flags&NTLMSSP_NEGOTIATE_VERSION != 0 {
		vb := v.bytes()
		copy(b[48:56], vb[:])
	}
	b = append(b, targetName...)
	return append(b, targetInfo...)
}

func putField(b []byte, n, off int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}

// The fixed layout of an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3): six
// payload fields and the flags end at 64, the Version takes 64..72 and the
// MIC 72..88, each present only if the payload starts after it.
const (
	authHeader = 64
	micOffset  = 72
	micEnd     = 88
)

// authenticateMessage is a parsed AUTHENTICATE_MESSAGE; the byte slices
// alias the message.
type authenticateMessage struct {
	lm, nt, domain, user, workstation, encKey []byte
	flags                                     Flags
	payloadStart                              int // smallest offset of a non-empty field
}

func parseAuthenticate(msg []byte) (authenticateMessage, error) {
	if err := checkHeader(msg, msgAuthenticate, authHeader); err != nil {
		return authenticateMessage{}, err
	}
	fields := []payloadField{
		readField(msg, 12, "LmChallengeResponse"),
		readField(msg, 20, "NtChallengeResponse"),
		readField(msg, 28, "DomainName"),
		readField(msg, 36, "UserName"),
		readField(msg, 44, "Workstation"),
		readField(msg, 52, "EncryptedRandomSessionKey"),
	}
	for _, f := range fields[2:5] {
		if f.len > MaxNameBytes {
			return authenticateMessage{}, errorf(CodeTooLarge, fmt.Sprintf("%s of %d bytes", f.name, f.len))
		}
	}
	if fields[1].len > MaxNTResponse {
		return authenticateMessage{}, errorf(CodeTooLarge, fmt.Sprintf("NtChallengeResponse of %d bytes", fields[1].len))
	}
	if n := fields[0].len; n != 0 && n != 1 && n != 24 {
		return authenticateMessage{}, errorf(CodeMalformed, fmt.Sprintf("LmChallengeResponse of %d bytes", n))
	}
	if n := fields[5].len; n != 0 && n != 16 {
		return authenticateMessage{}, errorf(CodeMalformed, fmt.Sprintf("EncryptedRandomSessionKey of %d bytes", n))
	}
	m := authenticateMessage{flags: Flags(binary.LittleEndian.Uint32(msg[60:]))}
	header := authHeader
	if m.flags&NTLMSSP_NEGOTIATE_VERSION != 0 {
		header = micOffset
	}
	start, err := checkFields(msg, header, fields)
	if err != nil {
		return authenticateMessage{}, err
	}
	m.payloadStart = start
	get := func(f payloadField) []byte {
		if f.len == 0 {
			return nil
		}
		return msg[f.off : f.off+f.len : f.off+f.len]
	}
	m.lm, m.nt, m.domain, m.user, m.workstation, m.encKey =
		get(fields[0]), get(fields[1]), get(fields[2]), get(fields[3]), get(fields[4]), get(fields[5])
	return m, nil
}
