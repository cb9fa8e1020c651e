package wire

// IoctlRequest is the SMB2 IOCTL Request (MS-SMB2 §2.2.31).
type IoctlRequest struct {
	CtlCode           uint32
	FileID            FileID
	MaxInputResponse  uint32
	MaxOutputResponse uint32
	Flags             uint32 // SMB2_0_IOCTL_IS_FSCTL
	// Input and Output alias the message; they lie in the buffer after the
	// fixed part and do not overlap.
	Input  []byte
	Output []byte
}

// Decode decodes an IOCTL request from msg.
func (r *IoctlRequest) Decode(msg []byte) error {
	d, err := fixedBody(msg, 57)
	if err != nil {
		return err
	}
	d.Skip(2)
	r.CtlCode = d.Uint32()
	r.FileID = d.FileID()
	inOff, inLen := d.Uint32(), d.Uint32()
	r.MaxInputResponse = d.Uint32()
	outOff, outLen := d.Uint32(), d.Uint32()
	r.MaxOutputResponse = d.Uint32()
	r.Flags = d.Uint32()
	const minOff = HeaderSize + 56
	in, err := bufferSpan(msg, inOff, inLen, minOff)
	if err != nil {
		return err
	}
	out, err := bufferSpan(msg, outOff, outLen, minOff)
	if err != nil {
		return err
	}
	if in.overlaps(out) {
		return ErrOverlap
	}
	r.Input = in.slice(msg)
	r.Output = out.slice(msg)
	return nil
}

// IoctlResponse is the SMB2 IOCTL Response (MS-SMB2 §2.2.32).
type IoctlResponse struct {
	CtlCode uint32
	FileID  FileID
	Flags   uint32
	Input   []byte // echoed input, for the few FSCTLs that return it
	Output  []byte
}

// Encode appends the response body to e. The input buffer starts right
// after the fixed part and the output buffer at the next 8-byte boundary
// (MS-SMB2 §3.3.5.15). With neither, both offsets point at the end of the
// fixed part, as Windows sends them.
func (r *IoctlResponse) Encode(e *Encoder) {
	e.Uint16(49)
	e.Uint16(0)
	e.Uint32(r.CtlCode)
	e.FileID(r.FileID)
	offAt := e.Len()
	e.Zero(16)
	e.Uint32(r.Flags)
	e.Uint32(0)
	inOff := e.Rel()
	e.Write(r.Input)
	if len(r.Input) > 0 {
		e.Align(8)
	}
	outOff := e.Rel()
	e.Write(r.Output)
	e.PutUint32At(offAt, uint32(inOff))
	e.PutUint32At(offAt+4, uint32(len(r.Input)))
	e.PutUint32At(offAt+8, uint32(outOff))
	e.PutUint32At(offAt+12, uint32(len(r.Output)))
}
