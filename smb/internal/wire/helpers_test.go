package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// lay builds bytes from a list of fields, little-endian, the way the
// MS-SMB2 tables lay them out: uint8/16/32/64 values, byte slices and
// strings (raw bytes). It uses encoding/binary, not this package's
// Encoder, so that the tests do not check the codec against itself.
func lay(fields ...any) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		switch v := f.(type) {
		case string:
			b.WriteString(v)
		case []byte:
			b.Write(v)
		case int:
			panic(fmt.Sprintf("lay: untyped int %d", v))
		default:
			if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
				panic(err)
			}
		}
	}
	return b.Bytes()
}

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

// utf16le encodes an ASCII string as UTF-16LE for test layouts.
func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
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
