package wire

// QueryDirectoryRequest is the SMB2 QUERY_DIRECTORY Request (MS-SMB2
// §2.2.33).
type QueryDirectoryRequest struct {
	FileInformationClass uint8
	Flags                uint8
	FileIndex            uint32
	FileID               FileID
	// FileName is the UTF-16LE search pattern; it aliases the message and
	// has an even length.
	FileName           []byte
	OutputBufferLength uint32
}

// Decode decodes a QUERY_DIRECTORY request from msg.
func (r *QueryDirectoryRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 33)
	if err != nil {
		return err
	}
	r.FileInformationClass = d.Uint8()
	r.Flags = d.Uint8()
	r.FileIndex = d.Uint32()
	r.FileID = d.FileID()
	off, n := d.Uint16(), d.Uint16()
	r.OutputBufferLength = d.Uint32()
	s, err := bufferSpan(msg, uint32(off), uint32(n), HeaderSize+32)
	if err != nil {
		return err
	}
	if n%2 != 0 {
		return ErrOddLength
	}
	r.FileName = s.slice(msg)
	return nil
}

// OutputResponse is the body shared by the QUERY_DIRECTORY, CHANGE_NOTIFY
// and QUERY_INFO responses (MS-SMB2 §2.2.34, §2.2.36, §2.2.38):
// StructureSize 9 and one output buffer right after the fixed part.
type OutputResponse struct {
	Output []byte
}

// Encode appends the response body to e.
func (r *OutputResponse) Encode(e *Encoder) {
	r.EncodeFixed(e, len(r.Output))
	e.Write(r.Output)
}

// EncodeFixed appends the 8-byte fixed part announcing n bytes of output
// that the caller appends next (encoding them straight into e, without an
// intermediate buffer).
func (r *OutputResponse) EncodeFixed(e *Encoder, n int) {
	start := e.Rel()
	e.Uint16(9)
	e.Uint16(uint16(start + 8)) // 0x48, right after the fixed part, also for empty output
	e.Uint32(uint32(n))
}

// OutputResponseFixedSize is the size of OutputResponse's fixed part.
const OutputResponseFixedSize = 8

// ChangeNotifyRequest is the SMB2 CHANGE_NOTIFY Request (MS-SMB2 §2.2.35).
type ChangeNotifyRequest struct {
	Flags              uint16 // SMB2_WATCH_TREE
	OutputBufferLength uint32
	FileID             FileID
	CompletionFilter   uint32
}

// Decode decodes a CHANGE_NOTIFY request from msg.
func (r *ChangeNotifyRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 32)
	if err != nil {
		return err
	}
	r.Flags = d.Uint16()
	r.OutputBufferLength = d.Uint32()
	r.FileID = d.FileID()
	r.CompletionFilter = d.Uint32()
	return d.Err()
}

// QueryInfoRequest is the SMB2 QUERY_INFO Request (MS-SMB2 §2.2.37).
type QueryInfoRequest struct {
	InfoType              uint8
	FileInfoClass         uint8
	OutputBufferLength    uint32
	AdditionalInformation uint32
	Flags                 uint32
	FileID                FileID
	// Input is the input buffer (an EA name list for FileFullEaInformation,
	// a SID list for quota); it aliases the message.
	Input []byte
}

// Decode decodes a QUERY_INFO request from msg.
func (r *QueryInfoRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 41)
	if err != nil {
		return err
	}
	r.InfoType = d.Uint8()
	r.FileInfoClass = d.Uint8()
	r.OutputBufferLength = d.Uint32()
	off := d.Uint16()
	d.Skip(2)
	n := d.Uint32()
	r.AdditionalInformation = d.Uint32()
	r.Flags = d.Uint32()
	r.FileID = d.FileID()
	s, err := bufferSpan(msg, uint32(off), n, HeaderSize+40)
	if err != nil {
		return err
	}
	r.Input = s.slice(msg)
	return nil
}

// SetInfoRequest is the SMB2 SET_INFO Request (MS-SMB2 §2.2.39).
type SetInfoRequest struct {
	InfoType              uint8
	FileInfoClass         uint8
	AdditionalInformation uint32
	FileID                FileID
	// Buffer is the information to set; it aliases the message.
	Buffer []byte
}

// Decode decodes a SET_INFO request from msg.
func (r *SetInfoRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 33)
	if err != nil {
		return err
	}
	r.InfoType = d.Uint8()
	r.FileInfoClass = d.Uint8()
	n := d.Uint32()
	off := d.Uint16()
	d.Skip(2)
	r.AdditionalInformation = d.Uint32()
	r.FileID = d.FileID()
	s, err := bufferSpan(msg, uint32(off), n, HeaderSize+32)
	if err != nil {
		return err
	}
	r.Buffer = s.slice(msg)
	return nil
}

// EncodeSetInfoResponse appends the SET_INFO response body (MS-SMB2
// §2.2.40): StructureSize 2 and nothing else.
func EncodeSetInfoResponse(e *Encoder) { e.Uint16(2) }
