package wire

// CloseRequest is the SMB2 CLOSE Request (MS-SMB2 §2.2.15).
type CloseRequest struct {
	Flags  uint16 // SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB
	FileID FileID
}

// Decode decodes a CLOSE request from msg.
func (r *CloseRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 24)
	if err != nil {
		return err
	}
	r.Flags = d.Uint16()
	d.Skip(4)
	r.FileID = d.FileID()
	return d.Err()
}

// FileAttrs is the block of times, sizes and attributes that the CREATE
// and CLOSE responses carry (MS-SMB2 §2.2.14, §2.2.16) and that
// FILE_NETWORK_OPEN_INFORMATION holds (MS-FSCC §2.4.29). Times are
// FILETIMEs.
type FileAttrs struct {
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	AllocationSize uint64
	EndOfFile      uint64
	FileAttributes uint32
}

// Encode appends the 52 bytes of the block.
func (a *FileAttrs) Encode(e *Encoder) {
	e.Uint64(a.CreationTime)
	e.Uint64(a.LastAccessTime)
	e.Uint64(a.LastWriteTime)
	e.Uint64(a.ChangeTime)
	e.Uint64(a.AllocationSize)
	e.Uint64(a.EndOfFile)
	e.Uint32(a.FileAttributes)
}

// CloseResponse is the SMB2 CLOSE Response (MS-SMB2 §2.2.16). The
// attributes are sent only with SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB and are
// zero otherwise.
type CloseResponse struct {
	Flags uint16
	Attrs FileAttrs
}

// Encode appends the response body to e.
func (r *CloseResponse) Encode(e *Encoder) {
	e.Uint16(60)
	e.Uint16(r.Flags)
	e.Uint32(0)
	r.Attrs.Encode(e)
}

// FlushRequest is the SMB2 FLUSH Request (MS-SMB2 §2.2.17). Its response
// is EncodeEmptyResponse.
type FlushRequest struct {
	FileID FileID
}

// Decode decodes a FLUSH request from msg.
func (r *FlushRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 24)
	if err != nil {
		return err
	}
	d.Skip(6)
	r.FileID = d.FileID()
	return d.Err()
}

// ReadRequest is the SMB2 READ Request (MS-SMB2 §2.2.19).
type ReadRequest struct {
	Padding        uint8 // requested offset of the data in the response
	Flags          uint8
	Length         uint32
	Offset         uint64
	FileID         FileID
	MinimumCount   uint32
	Channel        uint32
	RemainingBytes uint32
	// ChannelInfo holds the SMB_DIRECT buffer descriptors (or an RDMA
	// transform) when Channel is not SMB2_CHANNEL_NONE; it aliases the
	// message.
	ChannelInfo []byte
}

// Decode decodes a READ request from msg.
func (r *ReadRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 49)
	if err != nil {
		return err
	}
	r.Padding = d.Uint8()
	r.Flags = d.Uint8()
	r.Length = d.Uint32()
	r.Offset = d.Uint64()
	r.FileID = d.FileID()
	r.MinimumCount = d.Uint32()
	r.Channel = d.Uint32()
	r.RemainingBytes = d.Uint32()
	off, n := d.Uint16(), d.Uint16()
	s, err := bufferSpan(msg, uint32(off), uint32(n), HeaderSize+48)
	if err != nil {
		return err
	}
	r.ChannelInfo = s.slice(msg)
	return nil
}

// ReadResponseDataOffset is where a READ response's data starts, relative
// to the SMB2 header: right after the 16-byte fixed part.
const ReadResponseDataOffset = HeaderSize + 16

// ReadResponse is the SMB2 READ Response (MS-SMB2 §2.2.20).
type ReadResponse struct {
	DataRemaining uint32
	Flags         uint32 // SMB2_READFLAG_RESPONSE_RDMA_TRANSFORM (3.1.1)
	Data          []byte
}

// Encode appends the response body, data included, to e.
func (r *ReadResponse) Encode(e *Encoder) {
	r.EncodeFixed(e, len(r.Data))
	e.Write(r.Data)
}

// EncodeFixed appends only the 16-byte fixed part of a response announcing
// n bytes of data at ReadResponseDataOffset; the caller sends the data
// itself right after (with WriteFrame, without copying it). r.Data is
// ignored.
func (r *ReadResponse) EncodeFixed(e *Encoder, n int) {
	start := e.Rel()
	e.Uint16(17)
	e.Uint8(uint8(start + 16)) // DataOffset: the end of the fixed part
	e.Uint8(0)
	e.Uint32(uint32(n))
	e.Uint32(r.DataRemaining)
	e.Uint32(r.Flags)
}

// WriteRequest is the SMB2 WRITE Request (MS-SMB2 §2.2.21).
type WriteRequest struct {
	Offset         uint64
	FileID         FileID
	Channel        uint32
	RemainingBytes uint32
	Flags          uint32
	// Data is the bytes to write. It aliases the message (no copy); it
	// stays valid only while the frame buffer does.
	Data []byte
	// ChannelInfo is as in ReadRequest; it aliases the message.
	ChannelInfo []byte
}

// Decode decodes a WRITE request from msg. Data and ChannelInfo must lie
// in the buffer after the fixed part and must not overlap. Decode does not
// allocate.
func (r *WriteRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 49)
	if err != nil {
		return err
	}
	dataOff := d.Uint16()
	n := d.Uint32()
	r.Offset = d.Uint64()
	r.FileID = d.FileID()
	r.Channel = d.Uint32()
	r.RemainingBytes = d.Uint32()
	ciOff, ciLen := d.Uint16(), d.Uint16()
	r.Flags = d.Uint32()
	const minOff = HeaderSize + 48
	data, err := bufferSpan(msg, uint32(dataOff), n, minOff)
	if err != nil {
		return err
	}
	ci, err := bufferSpan(msg, uint32(ciOff), uint32(ciLen), minOff)
	if err != nil {
		return err
	}
	if data.overlaps(ci) {
		return ErrOverlap
	}
	r.Data = data.slice(msg)
	r.ChannelInfo = ci.slice(msg)
	return nil
}

// WriteResponse is the SMB2 WRITE Response (MS-SMB2 §2.2.22).
type WriteResponse struct {
	Count     uint32
	Remaining uint32
}

// Encode appends the response body to e.
func (r *WriteResponse) Encode(e *Encoder) {
	e.Uint16(17)
	e.Uint16(0)
	e.Uint32(r.Count)
	e.Uint32(r.Remaining)
	e.Uint16(0) // WriteChannelInfoOffset
	e.Uint16(0) // WriteChannelInfoLength
}

// LockElement is an SMB2_LOCK_ELEMENT (MS-SMB2 §2.2.26.1).
type LockElement struct {
	Offset uint64
	Length uint64
	Flags  uint32
}

// MaxLockElements bounds the elements of one LOCK request. MS-SMB2 sets
// no bound; a request is bounded by the frame anyway (24 bytes each), and
// Windows accepts at most 64 KiB of them.
const MaxLockElements = 4096

// LockRequest is the SMB2 LOCK Request (MS-SMB2 §2.2.26).
type LockRequest struct {
	// LockSequenceNumber (4 bits) and LockSequenceIndex (28 bits), used
	// for lock replay on resilient and durable handles (§3.3.5.14).
	LockSequenceNumber uint8
	LockSequenceIndex  uint32
	FileID             FileID
	// Locks is never empty after a successful Decode (a LockCount of zero
	// is STATUS_INVALID_PARAMETER, §3.3.5.14). Decode reuses the slice's
	// backing array.
	Locks []LockElement
}

// Decode decodes a LOCK request from msg.
func (r *LockRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 48)
	if err != nil {
		return err
	}
	count := int(d.Uint16())
	seq := d.Uint32()
	r.LockSequenceNumber = uint8(seq & 0xF)
	r.LockSequenceIndex = seq >> 4
	r.FileID = d.FileID()
	if count == 0 {
		return ErrBadValue
	}
	if count > MaxLockElements {
		return ErrTooMany
	}
	if count*24 > d.Remaining() {
		return ErrShortBuffer
	}
	locks := r.Locks[:0]
	for range count {
		locks = append(locks, LockElement{Offset: d.Uint64(), Length: d.Uint64(), Flags: d.Uint32()})
		d.Skip(4)
	}
	r.Locks = locks
	return d.Err()
}
