package wire

import "encoding/binary"

// NegotiateContext is one SMB2_NEGOTIATE_CONTEXT (MS-SMB2 §2.2.3.1,
// §2.2.4.1): a type and its data. In a decoded request Data aliases the
// message.
type NegotiateContext struct {
	Type uint16
	Data []byte
}

// PreauthIntegrityCapabilities is SMB2_PREAUTH_INTEGRITY_CAPABILITIES
// (MS-SMB2 §2.2.3.1.1). Salt aliases the message when decoded.
type PreauthIntegrityCapabilities struct {
	HashAlgorithms []uint16
	Salt           []byte
}

// EncryptionCapabilities is SMB2_ENCRYPTION_CAPABILITIES (MS-SMB2
// §2.2.3.1.2), ciphers in the sender's order of preference.
type EncryptionCapabilities struct {
	Ciphers []uint16
}

// CompressionCapabilities is SMB2_COMPRESSION_CAPABILITIES (MS-SMB2
// §2.2.3.1.3).
type CompressionCapabilities struct {
	Flags      uint32
	Algorithms []uint16
}

// SigningCapabilities is SMB2_SIGNING_CAPABILITIES (MS-SMB2 §2.2.3.1.7).
type SigningCapabilities struct {
	Algorithms []uint16
}

// TransportCapabilities is SMB2_TRANSPORT_CAPABILITIES (MS-SMB2
// §2.2.3.1.5).
type TransportCapabilities struct {
	Flags uint32
}

// MaxNegotiateContexts bounds the contexts accepted in one NEGOTIATE.
// Clients send at most seven kinds; the bound only stops a hostile list.
const MaxNegotiateContexts = 64

// NegotiateRequest is the SMB2 NEGOTIATE Request (MS-SMB2 §2.2.3).
type NegotiateRequest struct {
	SecurityMode uint16
	Capabilities uint32
	ClientGUID   GUID
	// ClientStartTime holds the last 8 bytes of the fixed part when the
	// dialects do not include 3.1.1 (then they are not context fields).
	ClientStartTime uint64
	Dialects        []Dialect

	// Contexts lists every negotiate context in the order received,
	// including types this package does not know (which a server ignores,
	// §3.3.5.4). Present only when Dialects includes 3.1.1.
	Contexts []NegotiateContext
	// The known contexts, decoded; nil when absent.
	Preauth     *PreauthIntegrityCapabilities
	Encryption  *EncryptionCapabilities
	Compression *CompressionCapabilities
	Signing     *SigningCapabilities
	Transport   *TransportCapabilities
	// NetName is the SMB2_NETNAME_NEGOTIATE_CONTEXT_ID data, the UTF-16LE
	// server name the client connected to, unvalidated (servers ignore it).
	NetName []byte
}

// HasDialect reports whether d is among the offered dialects.
func (r *NegotiateRequest) HasDialect(d Dialect) bool {
	for _, x := range r.Dialects {
		if x == d {
			return true
		}
	}
	return false
}

// Decode decodes a NEGOTIATE request from msg, a whole message starting
// with its SMB2 header. It rejects a zero DialectCount, a context list
// that is misaligned, out of range or overlaps the dialects, a known
// context whose counts are zero or exceed its data, and duplicates of
// the contexts MS-SMB2 §3.3.5.4 allows once.
func (r *NegotiateRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 36)
	if err != nil {
		return err
	}
	*r = NegotiateRequest{}
	count := int(d.Uint16())
	r.SecurityMode = d.Uint16()
	d.Skip(2)
	r.Capabilities = d.Uint32()
	r.ClientGUID = d.GUID()
	ctxOff := d.Uint32()
	ctxCount := int(d.Uint16())
	d.Seek(HeaderSize + 28)
	r.ClientStartTime = d.Uint64()
	if count == 0 {
		return ErrBadValue
	}
	if count*2 > d.Remaining() {
		return ErrShortBuffer
	}
	r.Dialects = make([]Dialect, count)
	has311 := false
	for i := range r.Dialects {
		r.Dialects[i] = Dialect(d.Uint16())
		has311 = has311 || r.Dialects[i] == SMB2_DIALECT_311
	}
	if !has311 || ctxCount == 0 {
		return d.Err()
	}
	r.ClientStartTime = 0
	if ctxCount > MaxNegotiateContexts {
		return ErrTooMany
	}
	if ctxOff%8 != 0 || int64(ctxOff) < int64(d.Offset()) || int64(ctxOff) >= int64(len(msg)) {
		return ErrOffset
	}
	r.Contexts = make([]NegotiateContext, 0, ctxCount)
	off := int(ctxOff)
	for i := 0; i < ctxCount; i++ {
		off = (off + 7) &^ 7
		if off+8 > len(msg) {
			return ErrShortBuffer
		}
		typ := binary.LittleEndian.Uint16(msg[off:])
		n := int(binary.LittleEndian.Uint16(msg[off+2:]))
		if off+8+n > len(msg) {
			return ErrShortBuffer
		}
		c := NegotiateContext{Type: typ, Data: msg[off+8 : off+8+n : off+8+n]}
		r.Contexts = append(r.Contexts, c)
		if err := r.setContext(c); err != nil {
			return err
		}
		off += 8 + n
	}
	return nil
}

// setContext decodes a known context into its field.
func (r *NegotiateRequest) setContext(c NegotiateContext) error {
	var err error
	switch c.Type {
	case SMB2_PREAUTH_INTEGRITY_CAPABILITIES:
		if r.Preauth != nil {
			return ErrBadValue
		}
		r.Preauth = new(PreauthIntegrityCapabilities)
		err = r.Preauth.Decode(c.Data)
	case SMB2_ENCRYPTION_CAPABILITIES:
		if r.Encryption != nil {
			return ErrBadValue
		}
		r.Encryption = new(EncryptionCapabilities)
		err = r.Encryption.Decode(c.Data)
	case SMB2_COMPRESSION_CAPABILITIES:
		if r.Compression != nil {
			return ErrBadValue
		}
		r.Compression = new(CompressionCapabilities)
		err = r.Compression.Decode(c.Data)
	case SMB2_SIGNING_CAPABILITIES:
		if r.Signing != nil {
			return ErrBadValue
		}
		r.Signing = new(SigningCapabilities)
		err = r.Signing.Decode(c.Data)
	case SMB2_TRANSPORT_CAPABILITIES:
		if r.Transport != nil {
			return ErrBadValue
		}
		r.Transport = new(TransportCapabilities)
		err = r.Transport.Decode(c.Data)
	case SMB2_RDMA_TRANSFORM_CAPABILITIES:
		for _, o := range r.Contexts[:len(r.Contexts)-1] {
			if o.Type == c.Type {
				return ErrBadValue
			}
		}
	case SMB2_NETNAME_NEGOTIATE_CONTEXT_ID:
		r.NetName = c.Data
	}
	return err
}

// ids decodes count 16-bit identifiers; count must be at least one.
func ids(d *Decoder, count int) []uint16 {
	if count == 0 {
		d.SetErr(ErrBadValue)
		return nil
	}
	if count*2 > d.Remaining() {
		d.SetErr(ErrShortBuffer)
		return nil
	}
	v := make([]uint16, count)
	for i := range v {
		v[i] = d.Uint16()
	}
	return v
}

// Decode decodes the context data.
func (p *PreauthIntegrityCapabilities) Decode(data []byte) error {
	d := Decoder{buf: data}
	count := int(d.Uint16())
	salt := int(d.Uint16())
	p.HashAlgorithms = ids(&d, count)
	p.Salt = d.Bytes(salt)
	return d.Err()
}

// Decode decodes the context data.
func (c *EncryptionCapabilities) Decode(data []byte) error {
	d := Decoder{buf: data}
	c.Ciphers = ids(&d, int(d.Uint16()))
	return d.Err()
}

// Decode decodes the context data.
func (c *CompressionCapabilities) Decode(data []byte) error {
	d := Decoder{buf: data}
	count := int(d.Uint16())
	d.Skip(2)
	c.Flags = d.Uint32()
	c.Algorithms = ids(&d, count)
	return d.Err()
}

// Decode decodes the context data.
func (c *SigningCapabilities) Decode(data []byte) error {
	d := Decoder{buf: data}
	c.Algorithms = ids(&d, int(d.Uint16()))
	return d.Err()
}

// Decode decodes the context data.
func (c *TransportCapabilities) Decode(data []byte) error {
	d := Decoder{buf: data}
	c.Flags = d.Uint32()
	return d.Err()
}

// Context returns p as a negotiate context for a response.
func (p *PreauthIntegrityCapabilities) Context() NegotiateContext {
	e := Encoder{buf: make([]byte, 0, 4+2*len(p.HashAlgorithms)+len(p.Salt))}
	e.Uint16(uint16(len(p.HashAlgorithms)))
	e.Uint16(uint16(len(p.Salt)))
	for _, a := range p.HashAlgorithms {
		e.Uint16(a)
	}
	e.Write(p.Salt)
	return NegotiateContext{Type: SMB2_PREAUTH_INTEGRITY_CAPABILITIES, Data: e.buf}
}

// Context returns c as a negotiate context for a response.
func (c *EncryptionCapabilities) Context() NegotiateContext {
	return NegotiateContext{Type: SMB2_ENCRYPTION_CAPABILITIES, Data: countedIDs(nil, c.Ciphers)}
}

// Context returns c as a negotiate context for a response.
func (c *SigningCapabilities) Context() NegotiateContext {
	return NegotiateContext{Type: SMB2_SIGNING_CAPABILITIES, Data: countedIDs(nil, c.Algorithms)}
}

// Context returns c as a negotiate context for a response.
func (c *CompressionCapabilities) Context() NegotiateContext {
	e := Encoder{}
	e.Uint16(uint16(len(c.Algorithms)))
	e.Uint16(0)
	e.Uint32(c.Flags)
	for _, a := range c.Algorithms {
		e.Uint16(a)
	}
	return NegotiateContext{Type: SMB2_COMPRESSION_CAPABILITIES, Data: e.buf}
}

// Context returns c as a negotiate context for a response.
func (c *TransportCapabilities) Context() NegotiateContext {
	return NegotiateContext{Type: SMB2_TRANSPORT_CAPABILITIES, Data: binary.LittleEndian.AppendUint32(nil, c.Flags)}
}

// countedIDs appends a 16-bit count followed by the identifiers.
func countedIDs(dst []byte, v []uint16) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(v)))
	for _, a := range v {
		dst = binary.LittleEndian.AppendUint16(dst, a)
	}
	return dst
}

// NegotiateResponse is the SMB2 NEGOTIATE Response (MS-SMB2 §2.2.4).
type NegotiateResponse struct {
	SecurityMode    uint16
	DialectRevision Dialect
	ServerGUID      GUID
	Capabilities    uint32
	MaxTransactSize uint32
	MaxReadSize     uint32
	MaxWriteSize    uint32
	SystemTime      uint64 // FILETIME
	ServerStartTime uint64 // FILETIME, or 0
	SecurityBuffer  []byte // the GSS/SPNEGO token
	// Contexts are sent only with DialectRevision 3.1.1 (MS-SMB2 §2.2.4).
	Contexts []NegotiateContext
}

// negotiateResponseFixed is the fixed part of the NEGOTIATE response.
const negotiateResponseFixed = 64

// Encode appends the response body to e, after a header begun with
// BeginMessage. The security buffer follows the fixed part at offset 128
// and the contexts follow it, each 8-byte aligned (MS-SMB2 §2.2.4).
func (r *NegotiateResponse) Encode(e *Encoder) {
	e.Uint16(65)
	e.Uint16(r.SecurityMode)
	e.Uint16(uint16(r.DialectRevision))
	e.Uint16(uint16(len(r.Contexts)))
	e.Write(r.ServerGUID[:])
	e.Uint32(r.Capabilities)
	e.Uint32(r.MaxTransactSize)
	e.Uint32(r.MaxReadSize)
	e.Uint32(r.MaxWriteSize)
	e.Uint64(r.SystemTime)
	e.Uint64(r.ServerStartTime)
	e.Uint16(uint16(HeaderSize + negotiateResponseFixed))
	e.Uint16(uint16(len(r.SecurityBuffer)))
	ctxOffAt := e.Len()
	e.Uint32(0)
	e.Write(r.SecurityBuffer)
	if len(r.Contexts) == 0 {
		return
	}
	e.Align(8)
	e.PutUint32At(ctxOffAt, uint32(e.Rel()))
	for i, c := range r.Contexts {
		if i > 0 {
			e.Align(8)
		}
		e.Uint16(c.Type)
		e.Uint16(uint16(len(c.Data)))
		e.Uint32(0)
		e.Write(c.Data)
	}
}
