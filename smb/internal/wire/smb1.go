package wire

import (
	"bytes"
	"encoding/binary"
)

// SMB1 negotiate (MS-SMB2 §3.3.5.3, MS-CIFS §2.2.4.52.1): a client that
// also speaks SMB1 opens with an SMB_COM_NEGOTIATE listing dialect
// strings. An SMB2 server answers it with an SMB2 NEGOTIATE response whose
// DialectRevision is SMB2_DIALECT_WILDCARD when "SMB 2.???" is offered
// (the client then negotiates again over SMB2), or SMB2_DIALECT_202 when
// only "SMB 2.002" is; with neither it closes the connection.

// SMB1 dialect strings that announce SMB2 support.
const (
	SMB1DialectSMB2002      = "SMB 2.002"
	SMB1DialectSMB2Wildcard = "SMB 2.???"
)

// smb1NegotiateCommand is SMB_COM_NEGOTIATE.
const smb1NegotiateCommand = 0x72

// smb1HeaderSize is the size of the SMB1 header (MS-CIFS §2.2.3.1).
const smb1HeaderSize = 32

// MaxSMB1Dialects bounds the dialect strings accepted; real clients send
// fewer than twenty.
const MaxSMB1Dialects = 64

// IsSMB1 reports whether msg starts with the SMB1 protocol identifier.
func IsSMB1(msg []byte) bool {
	return len(msg) >= 4 && binary.LittleEndian.Uint32(msg) == ProtocolSMB1
}

// SMB1Negotiate is the part of an SMB1 SMB_COM_NEGOTIATE request an SMB2
// server needs.
type SMB1Negotiate struct {
	// Dialects are the offered dialect strings in order; they alias the
	// message.
	Dialects [][]byte
}

// Decode decodes an SMB1 negotiate request: protocol identifier, command
// 0x72, WordCount 0 and a ByteCount covering a list of 0x02-prefixed,
// NUL-terminated dialect strings.
func (n *SMB1Negotiate) Decode(msg []byte) error {
	n.Dialects = n.Dialects[:0]
	if len(msg) < smb1HeaderSize+3 {
		return ErrShortBuffer
	}
	if !IsSMB1(msg) || msg[4] != smb1NegotiateCommand {
		return ErrProtocol
	}
	if msg[smb1HeaderSize] != 0 {
		return ErrBadValue // WordCount
	}
	count := int(binary.LittleEndian.Uint16(msg[smb1HeaderSize+1:]))
	b := msg[smb1HeaderSize+3:]
	if count > len(b) {
		return ErrShortBuffer
	}
	b = b[:count]
	for len(b) > 0 {
		if len(n.Dialects) == MaxSMB1Dialects {
			return ErrTooMany
		}
		if b[0] != 0x02 {
			return ErrBadValue // BufferFormat of a dialect string
		}
		end := bytes.IndexByte(b[1:], 0)
		if end < 0 {
			return ErrShortBuffer
		}
		n.Dialects = append(n.Dialects, b[1:1+end:1+end])
		b = b[2+end:]
	}
	return nil
}

// Offers reports whether the dialect string s was offered.
func (n *SMB1Negotiate) Offers(s string) bool {
	for _, d := range n.Dialects {
		if string(d) == s {
			return true
		}
	}
	return false
}

// SMB2Dialect returns the DialectRevision to answer with (MS-SMB2
// §3.3.5.3.1): SMB2_DIALECT_WILDCARD if "SMB 2.???" was offered and
// multiProtocol is set (the server implements a dialect after 2.0.2),
// SMB2_DIALECT_202 if "SMB 2.002" was offered, and 0 if neither applies,
// in which case the server closes the connection.
func (n *SMB1Negotiate) SMB2Dialect(multiProtocol bool) Dialect {
	switch {
	case multiProtocol && n.Offers(SMB1DialectSMB2Wildcard):
		return SMB2_DIALECT_WILDCARD
	case n.Offers(SMB1DialectSMB2002):
		return SMB2_DIALECT_202
	}
	return 0
}
