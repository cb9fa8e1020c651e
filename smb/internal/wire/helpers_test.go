package wire

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// lay and utf16le build the layouts of the specifications' tables with
// encoding/binary, not this package's Encoder.
var (
	lay     = wiretest.Lay
	utf16le = wiretest.UTF16LE
)

// hdr returns a 64-byte sync request header for cmd (MS-SMB2 §2.2.1.2).
func hdr(cmd Command) []byte {
	return lay(
		[]byte{0xFE, 'S', 'M', 'B'},
		uint16(64),       // StructureSize
		uint16(1),        // CreditCharge
		uint32(0),        // ChannelSequence/Reserved
		uint16(cmd),      // Command
		uint16(31),       // CreditRequest
		uint32(0),        // Flags
		uint32(0),        // NextCommand
		uint64(7),        // MessageId
		uint32(0xFEFF),   // Reserved
		uint32(5),        // TreeId
		uint64(0x1122),   // SessionId
		make([]byte, 16), // Signature
	)
}

// msg returns hdr(cmd) followed by body.
func msg(cmd Command, body ...any) []byte {
	return append(hdr(cmd), lay(body...)...)
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: error %v, want %v", what, got, want)
	}
}

func le16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// encodeBody encodes a response body after a fresh header and returns the
// whole message.
func encodeBody(f func(e *Encoder)) []byte {
	var e Encoder
	e.BeginMessage(&Header{Flags: SMB2_FLAGS_SERVER_TO_REDIR})
	f(&e)
	return e.Bytes()
}
