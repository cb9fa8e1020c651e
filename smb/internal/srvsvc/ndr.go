package srvsvc

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
)

// errNDR is stub data that does not decode (RPC_X_BAD_STUB_DATA).
var errNDR = errors.New("srvsvc: bad NDR stub data")

// maxNDRString bounds a decoded string (in UTF-16 code units): share and
// server names are far shorter (MS-SRVS: NNLEN 80, and a UNC server name).
const maxNDRString = 1024

// ndrReader decodes little-endian NDR 2.0 (C706 §14), aligning relative
// to the start of the stub data. Errors are sticky.
type ndrReader struct {
	b   []byte
	off int
	err error
}

func (r *ndrReader) need(n int) bool {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		r.err = errNDR
		return false
	}
	return true
}

func (r *ndrReader) align(n int) {
	if pad := (n - r.off%n) % n; r.need(pad) {
		r.off += pad
	}
}

func (r *ndrReader) u32() uint32 {
	r.align(4)
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// str decodes a conformant varying string of wchar_t ([string] wchar_t*,
// C706 §14.3.4): maximum count, offset, actual count, then the units,
// the last of which is the terminating NUL.
func (r *ndrReader) str() string {
	max, off, n := r.u32(), r.u32(), r.u32()
	if r.err != nil {
		return ""
	}
	if off != 0 || n > max || n > maxNDRString || !r.need(int(n)*2) {
		r.err = errNDR
		return ""
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(r.b[r.off+2*i:])
	}
	r.off += int(n) * 2
	if n > 0 && u[n-1] == 0 {
		u = u[:n-1]
	}
	return string(utf16.Decode(u))
}

// uniqueStr decodes a [unique, string] wchar_t* pointer: a referent id,
// then the string when it is not null. Top-level pointers have their
// referents right after them (C706 §14.3.12.3).
func (r *ndrReader) uniqueStr() (string, bool) {
	if r.u32() == 0 {
		return "", false
	}
	return r.str(), true
}

// ndrWriter encodes little-endian NDR 2.0.
type ndrWriter struct {
	b   []byte
	ref uint32 // last referent id handed out
}

func (w *ndrWriter) align(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *ndrWriter) u32(v uint32) {
	w.align(4)
	w.b = binary.LittleEndian.AppendUint32(w.b, v)
}

// ptr writes a unique pointer: a fresh non-zero referent id, or 0.
func (w *ndrWriter) ptr(nonNull bool) {
	if !nonNull {
		w.u32(0)
		return
	}
	w.ref += 4
	w.u32(0x00020000 + w.ref)
}

// str writes a conformant varying string with its terminating NUL.
func (w *ndrWriter) str(s string) {
	u := append(utf16.Encode([]rune(s)), 0)
	w.u32(uint32(len(u)))
	w.u32(0)
	w.u32(uint32(len(u)))
	for _, c := range u {
		w.b = binary.LittleEndian.AppendUint16(w.b, c)
	}
}
