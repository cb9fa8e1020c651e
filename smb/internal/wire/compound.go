package wire

import "encoding/binary"

// Message is one SMB2 message of a (possibly compounded) transport frame.
type Message struct {
	Header Header
	// Raw is the message's bytes from the start of its header up to the
	// next message's header (so including the padding before it), or to
	// the end of the frame for the last message. Those are the bytes its
	// signature covers (MS-SMB2 §3.1.5.1), and every offset in the
	// message body is relative to Raw[0]. Raw aliases the frame.
	Raw []byte
}

// Body returns the message's bytes after the header.
func (m *Message) Body() []byte { return m.Raw[HeaderSize:] }

// MaxCompound bounds the number of messages Split accepts in one frame.
// Every message takes at least a header, so a frame can hold no more than
// len/64 of them in any case; the bound keeps a server from doing per-
// message work for thousands of empty requests.
const MaxCompound = 512

// Split splits a frame holding one SMB2 message or a compound chain of
// them (MS-SMB2 §3.2.4.1.4, §3.3.5.2.7) into its messages, appending them
// to dst[:0] and returning the result (pass a reused slice to avoid
// allocating).
//
// Every NextCommand is validated: it must be a multiple of 8, at least
// HeaderSize (so the walk always moves forward and cannot loop), and leave
// room for the next header within the frame; the last message has
// NextCommand 0. Each header's protocol identifier and StructureSize are
// checked. Bodies are not decoded.
func Split(frame []byte, dst []Message) ([]Message, error) {
	dst = dst[:0]
	off := 0
	for {
		if len(dst) == MaxCompound {
			return dst, ErrTooMany
		}
		rest := frame[off:]
		var m Message
		if err := m.Header.Decode(rest); err != nil {
			return dst, err
		}
		next := m.Header.NextCmd
		if next == 0 {
			m.Raw = rest
			dst = append(dst, m)
			return dst, nil
		}
		if next%8 != 0 || next < HeaderSize || uint64(next)+HeaderSize > uint64(len(rest)) {
			return dst, ErrCompound
		}
		m.Raw = rest[:next:next]
		dst = append(dst, m)
		off += int(next)
	}
}

// BeginMessage starts a new SMB2 message in e by appending h. If a message
// was begun before, the encoder first pads it with zeros to a multiple of
// eight bytes and sets its NextCommand to point at the new one (MS-SMB2
// §3.3.4.1.3), which makes a compound response; h.NextCmd is ignored.
// Offsets computed with Rel afterwards are relative to the new header.
func (e *Encoder) BeginMessage(h *Header) {
	if len(e.starts) > 0 {
		e.Align(8)
		prev := e.starts[len(e.starts)-1]
		binary.LittleEndian.PutUint32(e.buf[prev+HeaderOffNextCommand:], uint32(len(e.buf)-prev))
	}
	e.base = len(e.buf)
	e.starts = append(e.starts, e.base)
	e.buf = h.Append(e.buf)
	binary.LittleEndian.PutUint32(e.buf[e.base+HeaderOffNextCommand:], 0)
}

// NumMessages returns the number of messages begun with BeginMessage.
func (e *Encoder) NumMessages() int { return len(e.starts) }

// MessageAt returns the bytes of the i'th message begun with BeginMessage,
// from its header to the next header (including padding), or to the end
// of the encoded bytes for the last. These are the bytes to sign; they
// alias the encoder's buffer. Signing must wait until every message of a
// compound has been begun, since beginning one changes the padding and
// NextCommand of the previous one.
func (e *Encoder) MessageAt(i int) []byte {
	start := e.starts[i]
	if i+1 < len(e.starts) {
		return e.buf[start:e.starts[i+1]]
	}
	return e.buf[start:]
}

// MessageStart returns the position in Bytes of the i'th message's header.
func (e *Encoder) MessageStart(i int) int { return e.starts[i] }
