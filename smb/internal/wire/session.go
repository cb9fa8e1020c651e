package wire

// SessionSetupRequest is the SMB2 SESSION_SETUP Request (MS-SMB2 §2.2.5).
type SessionSetupRequest struct {
	Flags             uint8 // SMB2_SESSION_FLAG_BINDING
	SecurityMode      uint8
	Capabilities      uint32
	Channel           uint32
	PreviousSessionID uint64
	// SecurityBuffer is the GSS token; it aliases the message.
	SecurityBuffer []byte
}

// Decode decodes a SESSION_SETUP request from msg, a whole message
// starting with its SMB2 header.
func (r *SessionSetupRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 25)
	if err != nil {
		return err
	}
	r.Flags = d.Uint8()
	r.SecurityMode = d.Uint8()
	r.Capabilities = d.Uint32()
	r.Channel = d.Uint32()
	off, n := d.Uint16(), d.Uint16()
	r.PreviousSessionID = d.Uint64()
	s, err := bufferSpan(msg, uint32(off), uint32(n), HeaderSize+24)
	if err != nil {
		return err
	}
	r.SecurityBuffer = s.slice(msg)
	return d.Err()
}

// SessionSetupResponse is the SMB2 SESSION_SETUP Response (MS-SMB2
// §2.2.6).
type SessionSetupResponse struct {
	SessionFlags   uint16
	SecurityBuffer []byte
}

// Encode appends the response body to e.
func (r *SessionSetupResponse) Encode(e *Encoder) {
	e.Uint16(9)
	e.Uint16(r.SessionFlags)
	e.Uint16(uint16(HeaderSize + 8))
	e.Uint16(uint16(len(r.SecurityBuffer)))
	e.Write(r.SecurityBuffer)
}

// DecodeEmptyRequest checks msg as one of the requests whose body is just
// StructureSize 4 and two reserved bytes: LOGOFF (MS-SMB2 §2.2.7),
// TREE_DISCONNECT (§2.2.11), ECHO (§2.2.28) and CANCEL (§2.2.30).
func DecodeEmptyRequest(msg []byte) error {
	_, err := fixedBody(msg, 4)
	return err
}

// EncodeEmptyResponse appends the 4-byte body of the LOGOFF,
// TREE_DISCONNECT, ECHO, FLUSH and LOCK responses (MS-SMB2 §2.2.8,
// §2.2.12, §2.2.29, §2.2.18, §2.2.27).
func EncodeEmptyResponse(e *Encoder) {
	e.Uint16(4)
	e.Uint16(0)
}

// TreeConnectRequest is the SMB2 TREE_CONNECT Request (MS-SMB2 §2.2.9).
type TreeConnectRequest struct {
	Flags uint16 // 3.1.1 only; reserved before
	// Path is the UTF-16LE share path "\\server\share"; it aliases the
	// message. Decode checks its length is even; see DecodeUTF16.
	Path []byte
	// Extension reports SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT: the
	// buffer starts with a TREE_CONNECT Request Extension (§2.2.9.1),
	// whose context offset and count follow. Decode checks the extension
	// fits in the message and no more; a server that does not implement
	// remoted identity refuses such a request.
	Extension     bool
	ContextOffset uint32
	ContextCount  uint16
}

// Decode decodes a TREE_CONNECT request from msg.
func (r *TreeConnectRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 9)
	if err != nil {
		return err
	}
	*r = TreeConnectRequest{}
	r.Flags = d.Uint16()
	off, n := d.Uint16(), d.Uint16()
	minOff := HeaderSize + 8
	if r.Flags&SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT != 0 {
		r.Extension = true
		r.ContextOffset = d.Uint32()
		r.ContextCount = d.Uint16()
		d.Skip(10)
		if err := d.Err(); err != nil {
			return err
		}
		minOff += 16
		if r.ContextCount > 0 && (int64(r.ContextOffset) < 16 || int64(HeaderSize)+int64(r.ContextOffset)+8 > int64(len(msg))) {
			return ErrOffset
		}
	}
	s, err := bufferSpan(msg, uint32(off), uint32(n), minOff)
	if err != nil {
		return err
	}
	if n%2 != 0 {
		return ErrOddLength
	}
	r.Path = s.slice(msg)
	return d.Err()
}

// TreeConnectResponse is the SMB2 TREE_CONNECT Response (MS-SMB2 §2.2.10).
type TreeConnectResponse struct {
	ShareType     uint8
	ShareFlags    uint32
	Capabilities  uint32
	MaximalAccess uint32
}

// Encode appends the response body to e.
func (r *TreeConnectResponse) Encode(e *Encoder) {
	e.Uint16(16)
	e.Uint8(r.ShareType)
	e.Uint8(0)
	e.Uint32(r.ShareFlags)
	e.Uint32(r.Capabilities)
	e.Uint32(r.MaximalAccess)
}
