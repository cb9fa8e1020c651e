package wire

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeUTF16 converts a UTF-16LE string, as SMB2 carries names and paths,
// to a Go (UTF-8) string. It rejects an odd byte length (ErrOddLength) and
// an unpaired surrogate (ErrBadString), which no valid name contains and
// which could not be stored as UTF-8 and given back unchanged. Any other
// check (NUL, reserved characters, component length) is the caller's: it
// depends on whether the string is a path, a pattern or a stream name.
func DecodeUTF16(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", ErrOddLength
	}
	ascii := true
	for i := 1; i < len(b); i += 2 {
		if b[i] != 0 || b[i-1] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		s := make([]byte, len(b)/2)
		for i := range s {
			s[i] = b[2*i]
		}
		return string(s), nil
	}
	out := make([]byte, 0, len(b)*3/2)
	for i := 0; i < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		switch {
		case utf16.IsSurrogate(u):
			if u >= 0xDC00 || i+4 > len(b) {
				return "", ErrBadString
			}
			r := utf16.DecodeRune(u, rune(binary.LittleEndian.Uint16(b[i+2:])))
			if r == utf8.RuneError {
				return "", ErrBadString
			}
			out = utf8.AppendRune(out, r)
			i += 2
		default:
			out = utf8.AppendRune(out, u)
		}
	}
	return string(out), nil
}

// AppendUTF16 appends s as UTF-16LE, without a terminator. Invalid UTF-8
// in s is appended as U+FFFD, one per bad byte.
func AppendUTF16(dst []byte, s string) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r1))
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r2))
			continue
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(r))
	}
	return dst
}

// UTF16Len returns the length in bytes of s encoded by AppendUTF16.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 4
		} else {
			n += 2
		}
	}
	return n
}

// UTF16 appends s as UTF-16LE.
func (e *Encoder) UTF16(s string) { e.buf = AppendUTF16(e.buf, s) }
