package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// Direct TCP transport (MS-SMB2 §2.1): each SMB2 message, compound chain or
// transformed message travels in a frame with a 4-byte header: a zero byte
// and a 24-bit big-endian length of what follows.

// MaxFrameLength is the largest length the 24-bit field can carry.
const MaxFrameLength = 1<<24 - 1

// FrameHeaderSize is the size of the Direct TCP frame header.
const FrameHeaderSize = 4

// frameStage is how much of a large frame must have arrived before the
// reader commits a buffer of the full announced size, so that a peer that
// announces a large frame and stalls holds no more than this much memory.
const frameStage = 64 << 10

// Transport errors.
var (
	// ErrFrameTooLarge means a peer announced a frame longer than the
	// reader's maximum. The connection cannot be resynchronised and must be
	// closed.
	ErrFrameTooLarge = errors.New("smb2: frame exceeds maximum size")
	// ErrFrameHeader means the first byte of a frame header was not zero.
	ErrFrameHeader = errors.New("smb2: frame header does not start with a zero byte")
)

// FrameReader reads Direct TCP frames. Use a buffered reader underneath:
// the header and body are read with separate calls.
type FrameReader struct {
	R io.Reader
	// Max is the largest frame accepted; 0 means MaxFrameLength. The check
	// happens on the header, before any buffer is allocated.
	Max int

	hdr [FrameHeaderSize]byte
}

// ReadHeader reads one frame header and returns the announced length,
// checked against Max.
func (fr *FrameReader) ReadHeader() (int, error) {
	if _, err := io.ReadFull(fr.R, fr.hdr[:]); err != nil {
		return 0, err
	}
	return fr.parseHeader()
}

func (fr *FrameReader) parseHeader() (int, error) {
	if fr.hdr[0] != 0 {
		return 0, ErrFrameHeader
	}
	n := int(fr.hdr[1])<<16 | int(fr.hdr[2])<<8 | int(fr.hdr[3])
	max := fr.Max
	if max <= 0 || max > MaxFrameLength {
		max = MaxFrameLength
	}
	if n > max {
		return 0, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, n, max)
	}
	return n, nil
}

// Next reads one frame and returns its body. The body is read into buf
// when it fits in buf's capacity and into a new slice otherwise; a frame
// larger than 64 KiB is read in two steps so that the full-size buffer is
// allocated only once the first 64 KiB have arrived. A frame cut short by
// the end of the stream gives io.ErrUnexpectedEOF; io.EOF is returned only
// at a frame boundary.
func (fr *FrameReader) Next(buf []byte) ([]byte, error) {
	n, err := fr.ReadHeader()
	if err != nil {
		return nil, err
	}
	return fr.ReadBody(buf, n)
}

// ReadBody reads a frame body of n bytes (as returned by ReadHeader),
// reusing buf as Next does.
func (fr *FrameReader) ReadBody(buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		if _, err := io.ReadFull(fr.R, buf); err != nil {
			return nil, unexpected(err)
		}
		return buf, nil
	}
	first := min(n, frameStage)
	if cap(buf) < first {
		buf = make([]byte, first)
	}
	buf = buf[:first]
	if _, err := io.ReadFull(fr.R, buf); err != nil {
		return nil, unexpected(err)
	}
	if first == n {
		return buf, nil
	}
	full := make([]byte, n)
	copy(full, buf)
	if _, err := io.ReadFull(fr.R, full[first:]); err != nil {
		return nil, unexpected(err)
	}
	return full, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// PutFrameHeader writes the header of a frame of n bytes into b[:4]. It
// panics if n exceeds MaxFrameLength: a server must never build such a
// reply (its MaxTransactSize/MaxReadSize bound every reply).
func PutFrameHeader(b []byte, n int) {
	if n < 0 || n > MaxFrameLength {
		panic("smb2: frame length out of range")
	}
	binary.BigEndian.PutUint32(b[:4], uint32(n))
}

// WriteFrame writes the segments as one frame, with a single vectored
// write when there are several (a READ reply's header and data, for
// instance, without copying the data).
func WriteFrame(w io.Writer, segs ...[]byte) error {
	n := 0
	for _, s := range segs {
		n += len(s)
	}
	if n > MaxFrameLength {
		return ErrFrameTooLarge
	}
	var hdr [FrameHeaderSize]byte
	PutFrameHeader(hdr[:], n)
	if len(segs) == 1 {
		bufs := net.Buffers{hdr[:], segs[0]}
		_, err := bufs.WriteTo(w)
		return err
	}
	bufs := make(net.Buffers, 0, len(segs)+1)
	bufs = append(bufs, hdr[:])
	bufs = append(bufs, segs...)
	_, err := bufs.WriteTo(w)
	return err
}
