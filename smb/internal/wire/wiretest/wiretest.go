// Package wiretest helps tests build SMB2 byte layouts from the tables of
// MS-SMB2 and MS-FSCC independently of package wire's own encoder, so that
// the codecs are never checked against themselves.
package wiretest

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Lay builds bytes from a list of fields in order, little-endian, the way
// the specifications' tables lay them out: fixed-size integers (uint8,
// uint16, int64, ...), byte slices and strings (their raw bytes). An
// untyped int panics, since its size would be ambiguous.
func Lay(fields ...any) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		switch v := f.(type) {
		case string:
			b.WriteString(v)
		case []byte:
			b.Write(v)
		case int:
			panic(fmt.Sprintf("wiretest.Lay: untyped int %d", v))
		default:
			if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
				panic(err)
			}
		}
	}
	return b.Bytes()
}

// UTF16LE encodes an ASCII string as UTF-16LE.
func UTF16LE(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}
