package wire

import "encoding/binary"

// CreateContext is one SMB2_CREATE_CONTEXT (MS-SMB2 §2.2.13.2): a name
// (4 ASCII bytes for the contexts MS-SMB2 defines, 16 bytes for the GUID-
// named ones) and its data. Decoded contexts alias the message.
type CreateContext struct {
	Name []byte
	Data []byte
}

// MaxCreateContexts bounds the create contexts accepted in one request.
// MS-SMB2 defines about fifteen; the bound stops a hostile chain of tiny
// contexts from costing more than a few kilobytes to hold.
const MaxCreateContexts = 64

// CreateRequest is the SMB2 CREATE Request (MS-SMB2 §2.2.13).
type CreateRequest struct {
	SecurityFlags        uint8
	RequestedOplockLevel uint8
	ImpersonationLevel   uint32
	SmbCreateFlags       uint64
	DesiredAccess        uint32
	FileAttributes       uint32
	ShareAccess          uint32
	CreateDisposition    uint32
	CreateOptions        uint32
	// Name is the UTF-16LE path relative to the share root, without a
	// leading backslash; it aliases the message and has an even length.
	Name []byte
	// Contexts is the create-context chain in wire order. Decode reuses
	// the slice's backing array, so decoding into the same CreateRequest
	// again does not allocate.
	Contexts []CreateContext
}

// Context returns the data of the first context named name, and whether
// there is one.
func (r *CreateRequest) Context(name string) ([]byte, bool) {
	for _, c := range r.Contexts {
		if string(c.Name) == name {
			return c.Data, true
		}
	}
	return nil, false
}

// Decode decodes a CREATE request from msg, a whole message starting with
// its SMB2 header. The name and the context chain must lie in the buffer
// after the fixed part and must not overlap; the chain is validated as
// ParseCreateContexts does.
func (r *CreateRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 57)
	if err != nil {
		return err
	}
	ctxs := r.Contexts[:0]
	*r = CreateRequest{}
	r.SecurityFlags = d.Uint8()
	r.RequestedOplockLevel = d.Uint8()
	r.ImpersonationLevel = d.Uint32()
	r.SmbCreateFlags = d.Uint64()
	d.Skip(8)
	r.DesiredAccess = d.Uint32()
	r.FileAttributes = d.Uint32()
	r.ShareAccess = d.Uint32()
	r.CreateDisposition = d.Uint32()
	r.CreateOptions = d.Uint32()
	nameOff, nameLen := d.Uint16(), d.Uint16()
	ctxOff, ctxLen := d.Uint32(), d.Uint32()
	const minOff = HeaderSize + 56
	name, err := bufferSpan(msg, uint32(nameOff), uint32(nameLen), minOff)
	if err != nil {
		return err
	}
	if nameLen%2 != 0 {
		return ErrOddLength
	}
	r.Name = name.slice(msg)
	cs, err := bufferSpan(msg, ctxOff, ctxLen, minOff)
	if err != nil {
		return err
	}
	if cs.overlaps(name) {
		return ErrOverlap
	}
	if cs.n > 0 && cs.off%8 != 0 {
		return ErrOffset
	}
	r.Contexts, err = ParseCreateContexts(cs.slice(msg), ctxs)
	return err
}

// ParseCreateContexts parses a create-context chain (MS-SMB2 §2.2.13.2),
// appending the contexts to dst[:0]. Each context's Next must be zero (the
// last) or a multiple of 8 of at least 16 that stays within b; its name
// must start at or after byte 16 of the context and be at least 4 bytes;
// its data must be 8-byte aligned, after the name and within the context.
// These are the checks Samba's smbd applies (smb2_create_blob_parse),
// except that smbd wants the name at exactly offset 16; MS-SMB2 §3.3.5.9
// leaves the reaction to a malformed chain to the server, and smbd
// answers STATUS_INVALID_PARAMETER.
func ParseCreateContexts(b []byte, dst []CreateContext) ([]CreateContext, error) {
	dst = dst[:0]
	for len(b) > 0 {
		if len(dst) == MaxCreateContexts {
			return dst, ErrTooMany
		}
		if len(b) < 16 {
			return dst, ErrShortBuffer
		}
		next := binary.LittleEndian.Uint32(b[0:])
		nameOff := int(binary.LittleEndian.Uint16(b[4:]))
		nameLen := int(binary.LittleEndian.Uint16(b[6:]))
		dataOff := int(binary.LittleEndian.Uint16(b[10:]))
		dataLen := int64(binary.LittleEndian.Uint32(b[12:]))
		size := len(b)
		if next != 0 {
			if next%8 != 0 || next < 16 || int64(next) >= int64(len(b)) {
				return dst, ErrOffset
			}
			size = int(next)
		}
		if nameOff < 16 || nameLen < 4 || nameOff+nameLen > size {
			return dst, ErrOffset
		}
		c := CreateContext{Name: b[nameOff : nameOff+nameLen : nameOff+nameLen]}
		if dataLen > 0 {
			if dataOff%8 != 0 || dataOff < nameOff+nameLen || int64(dataOff)+dataLen > int64(size) {
				return dst, ErrOffset
			}
			end := dataOff + int(dataLen)
			c.Data = b[dataOff:end:end]
		}
		dst = append(dst, c)
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return dst, nil
}

// AppendCreateContexts appends a create-context chain to e, each context
// 8-byte aligned relative to the message, with its name at offset 16 and
// its data 8-byte aligned after the name (MS-SMB2 §2.2.14.2).
func AppendCreateContexts(e *Encoder, ctxs []CreateContext) {
	prev := -1
	for _, c := range ctxs {
		e.Align(8)
		start := e.Len()
		if prev >= 0 {
			e.PutUint32At(prev, uint32(start-prev))
		}
		prev = start
		e.Uint32(0) // Next, patched by the following context
		e.Uint16(16)
		e.Uint16(uint16(len(c.Name)))
		e.Uint16(0)
		dataOffAt := e.Len()
		e.Uint16(0)
		e.Uint32(uint32(len(c.Data)))
		e.Write(c.Name)
		if len(c.Data) > 0 {
			e.Align(8)
			e.PutUint16At(dataOffAt, uint16(e.Len()-start))
			e.Write(c.Data)
		}
	}
}

// CreateResponse is the SMB2 CREATE Response (MS-SMB2 §2.2.14).
type CreateResponse struct {
	OplockLevel  uint8
	Flags        uint8
	CreateAction uint32
	Attrs        FileAttrs
	FileID       FileID
	Contexts     []CreateContext
}

// Encode appends the response body to e.
func (r *CreateResponse) Encode(e *Encoder) {
	e.Uint16(89)
	e.Uint8(r.OplockLevel)
	e.Uint8(r.Flags)
	e.Uint32(r.CreateAction)
	r.Attrs.Encode(e)
	e.Uint32(0)
	e.FileID(r.FileID)
	offAt := e.Len()
	e.Uint32(0)
	e.Uint32(0)
	if len(r.Contexts) == 0 {
		return
	}
	e.Align(8)
	start := e.Len()
	e.PutUint32At(offAt, uint32(e.Rel()))
	AppendCreateContexts(e, r.Contexts)
	e.PutUint32At(offAt+4, uint32(e.Len()-start))
}
