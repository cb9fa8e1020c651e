package xdr

import (
	"encoding/binary"
	"errors"
	"math"
)

// Errors reported by a Decoder.
var (
	// ErrShortBuffer means the data ended before the value did.
	ErrShortBuffer = errors.New("xdr: short buffer")
	// ErrTooLong means a length or count exceeded the field's maximum.
	ErrTooLong = errors.New("xdr: length exceeds maximum")
	// ErrBadBool means a bool was neither 0 nor 1 (RFC 4506 §4.4).
	ErrBadBool = errors.New("xdr: bool is neither 0 nor 1")
	// ErrBadUnion means a discriminant selected no arm of a union.
	ErrBadUnion = errors.New("xdr: bad union discriminant")
	// ErrBadValue means a value is outside its declared range (an
	// enumeration with an unknown value, for instance).
	ErrBadValue = errors.New("xdr: value out of range")
)

// Unlimited is the maximum to pass for a variable-length field whose XDR
// declaration has no maximum (opaque<>, string<>, T<>). The length is still
// bounded by the bytes left in the record.
const Unlimited = math.MaxUint32

// Pad returns the number of zero bytes that follow n bytes of opaque data
// to reach a multiple of four (RFC 4506 §3).
func Pad(n int) int { return (4 - n&3) & 3 }

// Marshaler is implemented by types that encode themselves. SizeXDR returns
// the exact encoded size, so that callers can size buffers up front.
type Marshaler interface {
	MarshalXDR(e *Encoder)
	SizeXDR() int
}

// Unmarshaler is implemented by types that decode themselves. Failures are
// reported through the decoder's sticky error.
type Unmarshaler interface {
	UnmarshalXDR(d *Decoder)
}

// Marshal returns the encoding of m in a new slice of exactly the right size.
func Marshal(m Marshaler) []byte {
	e := Encoder{buf: make([]byte, 0, m.SizeXDR())}
	m.MarshalXDR(&e)
	return e.buf
}

// Unmarshal decodes b into u and returns the decoder's error. Trailing bytes
// after the value are allowed; use a Decoder and Remaining to reject them.
func Unmarshal(b []byte, u Unmarshaler) error {
	d := Decoder{buf: b}
	u.UnmarshalXDR(&d)
	return d.err
}

// Decoder reads XDR values from a byte slice. The zero value decodes an
// empty slice; Reset points it at another.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Reset makes d read b from its start and clears the error.
func (d *Decoder) Reset(b []byte) { *d = Decoder{buf: b} }

// Err returns the first error the decoder met, or nil.
func (d *Decoder) Err() error { return d.err }

// SetErr records err as the decoder's error unless one is recorded already.
// Generated and hand-written decoders use it to report semantic failures
// (a bad union discriminant, an out-of-range enum) in the same sticky way.
func (d *Decoder) SetErr(err error) {
	if d.err == nil && err != nil {
		d.err = err
		d.off = len(d.buf)
	}
}

// Offset returns the number of bytes consumed so far.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns the number of bytes not yet consumed.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Rest returns the bytes not yet consumed, without consuming them.
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Skip consumes n bytes.
func (d *Decoder) Skip(n int) {
	if n < 0 || n > len(d.buf)-d.off {
		d.SetErr(ErrShortBuffer)
		return
	}
	d.off += n
}

// Uint32 decodes an unsigned int (RFC 4506 §4.2).
func (d *Decoder) Uint32() uint32 {
	if len(d.buf)-d.off < 4 {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	v := binary.BigEndian.Uint32(d.buf[d.off:])
	d.off += 4
	return v
}

// Int32 decodes an int (RFC 4506 §4.1) or an enum (§4.3).
func (d *Decoder) Int32() int32 { return int32(d.Uint32()) }

// Uint64 decodes an unsigned hyper (RFC 4506 §4.5).
func (d *Decoder) Uint64() uint64 {
	if len(d.buf)-d.off < 8 {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	v := binary.BigEndian.Uint64(d.buf[d.off:])
	d.off += 8
	return v
}

// Int64 decodes a hyper (RFC 4506 §4.5).
func (d *Decoder) Int64() int64 { return int64(d.Uint64()) }

// Bool decodes a bool (RFC 4506 §4.4); values other than 0 and 1 are
// ErrBadBool.
func (d *Decoder) Bool() bool {
	v := d.Uint32()
	if v > 1 {
		d.SetErr(ErrBadBool)
		return false
	}
	return v == 1
}

// Optional decodes the presence flag of optional data (RFC 4506 §4.19).
func (d *Decoder) Optional() bool { return d.Bool() }

// FixedOpaque decodes n bytes of fixed-length opaque data and its padding
// (RFC 4506 §4.9). The result aliases the decoder's buffer.
func (d *Decoder) FixedOpaque(n int) []byte {
	total := n + Pad(n)
	if n < 0 || total > len(d.buf)-d.off {
		d.SetErr(ErrShortBuffer)
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += total
	return b
}

// FixedOpaqueInto decodes len(dst) bytes of fixed-length opaque data into
// dst.
func (d *Decoder) FixedOpaqueInto(dst []byte) {
	copy(dst, d.FixedOpaque(len(dst)))
}

// length decodes a length or count and checks it against max and, scaled
// by unit bytes per element, against the bytes left.
func (d *Decoder) length(max uint32, unit int) int {
	n := d.Uint32()
	if d.err != nil {
		return 0
	}
	if n > max {
		d.SetErr(ErrTooLong)
		return 0
	}
	if uint64(n)*uint64(unit) > uint64(len(d.buf)-d.off) {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	return int(n)
}

// Opaque decodes variable-length opaque data of at most max bytes (RFC 4506
// §4.10). The result aliases the decoder's buffer; copy it to keep it
// beyond the buffer's life. A zero length gives a nil slice.
func (d *Decoder) Opaque(max uint32) []byte {
	n := d.length(max, 1)
	if n == 0 {
		return nil
	}
	return d.FixedOpaque(n)
}

// OpaqueCopy is Opaque followed by a copy into a new slice.
func (d *Decoder) OpaqueCopy(max uint32) []byte {
	b := d.Opaque(max)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// String decodes a string of at most max bytes (RFC 4506 §4.11). The
// string is a copy; use Opaque to alias the buffer instead.
func (d *Decoder) String(max uint32) string {
	return string(d.Opaque(max))
}

// ArrayLen decodes the element count of a variable-length array of at most
// max elements (RFC 4506 §4.13), each of which takes at least minSize bytes
// on the wire. The count is checked against the bytes left, so that a
// caller can allocate count elements safely.
func (d *Decoder) ArrayLen(max uint32, minSize int) int {
	if minSize < 1 {
		minSize = 1
	}
	return d.length(max, minSize)
}

// Encoder appends XDR values to a byte slice. The zero value is ready to
// use; Reset reuses a buffer.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder that appends to buf[:0].
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf[:0]} }

// Reset makes e append to buf[:0].
func (e *Encoder) Reset(buf []byte) { e.buf = buf[:0] }

// Bytes returns the encoded bytes. They alias the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of encoded bytes.
func (e *Encoder) Len() int { return len(e.buf) }

// Grow makes room for n more bytes without another allocation.
func (e *Encoder) Grow(n int) {
	if cap(e.buf)-len(e.buf) < n {
		nb := make([]byte, len(e.buf), 2*cap(e.buf)+n)
		copy(nb, e.buf)
		e.buf = nb
	}
}

// Truncate discards all but the first n encoded bytes.
func (e *Encoder) Truncate(n int) { e.buf = e.buf[:n] }

// Uint32 encodes an unsigned int.
func (e *Encoder) Uint32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

// Int32 encodes an int or an enum.
func (e *Encoder) Int32(v int32) { e.Uint32(uint32(v)) }

// Uint64 encodes an unsigned hyper.
func (e *Encoder) Uint64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

// Int64 encodes a hyper.
func (e *Encoder) Int64(v int64) { e.Uint64(uint64(v)) }

// Bool encodes a bool.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Uint32(1)
	} else {
		e.Uint32(0)
	}
}

// Optional encodes the presence flag of optional data.
func (e *Encoder) Optional(present bool) { e.Bool(present) }

var zeros [4]byte

// FixedOpaque encodes p as fixed-length opaque data with its padding.
func (e *Encoder) FixedOpaque(p []byte) {
	e.buf = append(e.buf, p...)
	e.buf = append(e.buf, zeros[:Pad(len(p))]...)
}

// Padding appends the zero bytes that follow n bytes of opaque data sent
// separately (a zero-copy payload).
func (e *Encoder) Padding(n int) { e.buf = append(e.buf, zeros[:Pad(n)]...) }

// Opaque encodes p as variable-length opaque data.
func (e *Encoder) Opaque(p []byte) {
	e.Uint32(uint32(len(p)))
	e.FixedOpaque(p)
}

// String encodes s.
func (e *Encoder) String(s string) {
	e.Uint32(uint32(len(s)))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, zeros[:Pad(len(s))]...)
}

// PutUint32At overwrites the four bytes at offset off with v; it lets a
// caller write a count before knowing it and patch it afterwards.
func (e *Encoder) PutUint32At(off int, v uint32) {
	binary.BigEndian.PutUint32(e.buf[off:], v)
}

// SizeOpaque returns the encoded size of variable-length opaque data (or a
// string) of n bytes: the length word, the data and its padding.
func SizeOpaque(n int) int { return 4 + n + Pad(n) }
