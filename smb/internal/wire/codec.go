package wire

import (
	"encoding/binary"
	"errors"
)

// Errors reported by the decoders. A server answers any of them with
// STATUS_INVALID_PARAMETER (MS-SMB2 §3.3.5.2.6 and the per-command
// sections), except where a section names another status.
var (
	// ErrShortBuffer means the message ended before a field did.
	ErrShortBuffer = errors.New("smb2: message too short")
	// ErrStructureSize means a StructureSize field did not hold the value
	// MS-SMB2 fixes for the structure.
	ErrStructureSize = errors.New("smb2: bad StructureSize")
	// ErrOffset means an offset/length pair points outside the message or
	// into its header or fixed part.
	ErrOffset = errors.New("smb2: buffer offset out of range")
	// ErrOverlap means two buffers of one message overlap.
	ErrOverlap = errors.New("smb2: buffers overlap")
	// ErrOddLength means a UTF-16 string has an odd number of bytes.
	ErrOddLength = errors.New("smb2: odd UTF-16 length")
	// ErrBadString means a UTF-16 string holds an unpaired surrogate.
	ErrBadString = errors.New("smb2: invalid UTF-16 string")
	// ErrProtocol means a message does not start with a known protocol
	// identifier.
	ErrProtocol = errors.New("smb2: bad protocol identifier")
	// ErrCompound means a compound's NextCommand chain is malformed: not
	// 8-byte aligned, pointing outside the buffer or leaving no room for a
	// header.
	ErrCompound = errors.New("smb2: bad NextCommand in compound")
	// ErrTooMany means a count exceeds what the decoder accepts.
	ErrTooMany = errors.New("smb2: count too large")
	// ErrBadValue means a field holds a value the structure forbids
	// (a zero count where MS-SMB2 requires one or more, a duplicate
	// negotiate context).
	ErrBadValue = errors.New("smb2: bad field value")
)

// Decoder reads little-endian fields from a byte slice with a sticky
// error: after the first failure every method returns a zero value and Err
// reports the failure. The zero value decodes an empty slice.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b from its start.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Reset makes d read b from its start and clears the error.
func (d *Decoder) Reset(b []byte) { *d = Decoder{buf: b} }

// Err returns the first error the decoder met, or nil.
func (d *Decoder) Err() error { return d.err }

// SetErr records err unless an error is recorded already.
func (d *Decoder) SetErr(err error) {
	if d.err == nil && err != nil {
		d.err = err
		d.off = len(d.buf)
	}
}

// Offset returns the position of the next byte to read.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns the number of bytes not yet read.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Seek moves to absolute position off, which must lie within the buffer.
func (d *Decoder) Seek(off int) {
	if d.err != nil {
		return
	}
	if off < 0 || off > len(d.buf) {
		d.SetErr(ErrShortBuffer)
		return
	}
	d.off = off
}

// Skip consumes n bytes.
func (d *Decoder) Skip(n int) {
	if n < 0 || n > len(d.buf)-d.off {
		d.SetErr(ErrShortBuffer)
		return
	}
	d.off += n
}

// Uint8 reads one byte.
func (d *Decoder) Uint8() uint8 {
	if d.off >= len(d.buf) {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	v := d.buf[d.off]
	d.off++
	return v
}

// Uint16 reads a little-endian 16-bit value.
func (d *Decoder) Uint16() uint16 {
	if len(d.buf)-d.off < 2 {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	v := binary.LittleEndian.Uint16(d.buf[d.off:])
	d.off += 2
	return v
}

// Uint32 reads a little-endian 32-bit value.
func (d *Decoder) Uint32() uint32 {
	if len(d.buf)-d.off < 4 {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	v := binary.LittleEndian.Uint32(d.buf[d.off:])
	d.off += 4
	return v
}

// Uint64 reads a little-endian 64-bit value.
func (d *Decoder) Uint64() uint64 {
	if len(d.buf)-d.off < 8 {
		d.SetErr(ErrShortBuffer)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.buf[d.off:])
	d.off += 8
	return v
}

// Int64 reads a little-endian signed 64-bit value (FILETIME, LARGE_INTEGER).
func (d *Decoder) Int64() int64 { return int64(d.Uint64()) }

// Bytes reads n bytes. The result aliases the decoder's buffer.
func (d *Decoder) Bytes(n int) []byte {
	if n < 0 || n > len(d.buf)-d.off {
		d.SetErr(ErrShortBuffer)
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// FileID reads an SMB2_FILEID (MS-SMB2 §2.2.14.1).
func (d *Decoder) FileID() FileID {
	if len(d.buf)-d.off < 16 {
		d.SetErr(ErrShortBuffer)
		return FileID{}
	}
	f := FileID{
		Persistent: binary.LittleEndian.Uint64(d.buf[d.off:]),
		Volatile:   binary.LittleEndian.Uint64(d.buf[d.off+8:]),
	}
	d.off += 16
	return f
}

// GUID reads 16 bytes as a GUID.
func (d *Decoder) GUID() (g GUID) {
	copy(g[:], d.Bytes(16))
	return g
}

// Encoder appends little-endian fields to a byte slice. The zero value is
// ready to use. It also tracks the start of the SMB2 message being
// encoded, so that buffer offsets, which MS-SMB2 counts from the start of
// the SMB2 header, can be computed with Rel; see BeginMessage.
type Encoder struct {
	buf    []byte
	base   int
	starts []int
}

// NewEncoder returns an Encoder that appends to buf[:0].
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf[:0]} }

// Reset makes e append to buf[:0] and forgets any messages begun.
func (e *Encoder) Reset(buf []byte) {
	e.buf = buf[:0]
	e.base = 0
	e.starts = e.starts[:0]
}

// Bytes returns the encoded bytes. They alias the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of encoded bytes.
func (e *Encoder) Len() int { return len(e.buf) }

// Rel returns the current position relative to the start of the message
// being encoded: the value of an offset field for data appended next.
func (e *Encoder) Rel() int { return len(e.buf) - e.base }

// Uint8 appends one byte.
func (e *Encoder) Uint8(v uint8) { e.buf = append(e.buf, v) }

// Uint16 appends a little-endian 16-bit value.
func (e *Encoder) Uint16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }

// Uint32 appends a little-endian 32-bit value.
func (e *Encoder) Uint32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// Uint64 appends a little-endian 64-bit value.
func (e *Encoder) Uint64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// Int64 appends a little-endian signed 64-bit value.
func (e *Encoder) Int64(v int64) { e.Uint64(uint64(v)) }

// Write appends p.
func (e *Encoder) Write(p []byte) { e.buf = append(e.buf, p...) }

// FileID appends an SMB2_FILEID.
func (e *Encoder) FileID(f FileID) {
	e.Uint64(f.Persistent)
	e.Uint64(f.Volatile)
}

// Zero appends n zero bytes.
func (e *Encoder) Zero(n int) {
	for ; n >= 8; n -= 8 {
		e.buf = append(e.buf, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	for ; n > 0; n-- {
		e.buf = append(e.buf, 0)
	}
}

// Align appends zero bytes until Rel is a multiple of n (a power of two).
func (e *Encoder) Align(n int) { e.Zero(-e.Rel() & (n - 1)) }

// PutUint16At overwrites the two bytes at absolute position off.
func (e *Encoder) PutUint16At(off int, v uint16) { binary.LittleEndian.PutUint16(e.buf[off:], v) }

// PutUint32At overwrites the four bytes at absolute position off.
func (e *Encoder) PutUint32At(off int, v uint32) { binary.LittleEndian.PutUint32(e.buf[off:], v) }

// Grow makes room for n more bytes without another allocation.
func (e *Encoder) Grow(n int) {
	if cap(e.buf)-len(e.buf) < n {
		nb := make([]byte, len(e.buf), 2*cap(e.buf)+n)
		copy(nb, e.buf)
		e.buf = nb
	}
}

// FileID is an SMB2_FILEID (MS-SMB2 §2.2.14.1).
type FileID struct {
	Persistent uint64
	Volatile   uint64
}

// CompoundFileID is the FileId a related request in a compound carries to
// mean "the handle of the previous operation" (MS-SMB2 §3.2.4.1.4 and
// §3.3.5.2.7.2).
var CompoundFileID = FileID{^uint64(0), ^uint64(0)}

// GUID is a GUID in its 16-byte wire form (MS-DTYP §2.3.4.2), kept as
// bytes: the protocol only compares and echoes GUIDs.
type GUID [16]byte

// fixedBody checks that msg holds an SMB2 header followed by a structure
// whose StructureSize must be size, and returns a Decoder positioned just
// after the StructureSize field. For a structure with a variable buffer
// (odd size), the fixed part is size-1 bytes and the buffer may be empty.
func fixedBody(msg []byte, size uint16) (Decoder, error) {
	fixed := int(size &^ 1)
	if len(msg) < HeaderSize+fixed {
		return Decoder{}, ErrShortBuffer
	}
	if binary.LittleEndian.Uint16(msg[HeaderSize:]) != size {
		return Decoder{}, ErrStructureSize
	}
	return Decoder{buf: msg, off: HeaderSize + 2}, nil
}

// span is a validated buffer inside a message: [off, off+n).
type span struct{ off, n int }

// end returns the first byte after s.
func (s span) end() int { return s.off + s.n }

// overlaps reports whether two non-empty spans share a byte.
func (s span) overlaps(t span) bool {
	return s.n > 0 && t.n > 0 && s.off < t.end() && t.off < s.end()
}

// bufferSpan validates an offset/length pair of a request: the buffer
// must lie in the variable part of msg, which starts at minOff (the end of
// the header and fixed part), and end within msg. An empty buffer is valid
// whatever its offset, since clients leave the offset of an absent buffer
// at zero or at the end of the previous one.
func bufferSpan(msg []byte, off, n uint32, minOff int) (span, error) {
	if n == 0 {
		return span{off: minOff}, nil
	}
	if int64(off) < int64(minOff) || int64(off)+int64(n) > int64(len(msg)) {
		return span{}, ErrOffset
	}
	return span{off: int(off), n: int(n)}, nil
}

// slice returns the bytes of s in msg, with the capacity clipped so that an
// append by the caller cannot overwrite what follows.
func (s span) slice(msg []byte) []byte {
	if s.n == 0 {
		return nil
	}
	return msg[s.off:s.end():s.end()]
}

// PutUint64At overwrites the eight bytes at absolute position off.
func (e *Encoder) PutUint64At(off int, v uint64) { binary.LittleEndian.PutUint64(e.buf[off:], v) }

// Truncate drops what was appended after absolute position n (a reply
// whose body is replaced by an error response). It must not cut into a
// message header begun before n.
func (e *Encoder) Truncate(n int) { e.buf = e.buf[:n] }

// Reserve appends n bytes of unspecified content and returns them, for the
// caller to fill in place (a READ reply's data read straight from the
// store, without zeroing or copying).
func (e *Encoder) Reserve(n int) []byte {
	e.Grow(n)
	start := len(e.buf)
	e.buf = e.buf[:start+n]
	return e.buf[start:]
}
