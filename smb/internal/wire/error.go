package wire

// Error context identifiers (MS-SMB2 §2.2.2.1).
const (
	SMB2_ERROR_ID_DEFAULT        = 0x00000000
	SMB2_ERROR_ID_SHARE_REDIRECT = 0x72645253
)

// ErrorContext is an SMB2 ERROR Context (MS-SMB2 §2.2.2.1), used in 3.1.1
// error responses.
type ErrorContext struct {
	ErrorID uint32
	Data    []byte
}

// ErrorResponse is the SMB2 ERROR Response (MS-SMB2 §2.2.2). For dialects
// before 3.1.1 the error data, if any, is Data (for instance the 4-byte
// required length that accompanies STATUS_BUFFER_TOO_SMALL, §2.2.2.2.1);
// with 3.1.1 a server sends it as Contexts instead and Data is ignored.
type ErrorResponse struct {
	Data     []byte
	Contexts []ErrorContext
}

// Encode appends the response body to e. With no error data at all it
// sends the single zero byte of ErrorData that MS-SMB2 §2.2.2 requires
// when ByteCount is zero.
func (r *ErrorResponse) Encode(e *Encoder) {
	e.Uint16(9)
	if len(r.Contexts) == 0 {
		e.Uint8(0)
		e.Uint8(0)
		e.Uint32(uint32(len(r.Data)))
		if len(r.Data) == 0 {
			e.Uint8(0)
		}
		e.Write(r.Data)
		return
	}
	e.Uint8(uint8(len(r.Contexts)))
	e.Uint8(0)
	countAt := e.Len()
	e.Uint32(0)
	start := e.Len()
	for i, c := range r.Contexts {
		if i > 0 {
			// Each context starts 8-byte aligned (§2.2.2.1); ErrorData
			// starts at offset 72, so message alignment is the same.
			e.Align(8)
		}
		e.Uint32(uint32(len(c.Data)))
		e.Uint32(c.ErrorID)
		e.Write(c.Data)
	}
	e.PutUint32At(countAt, uint32(e.Len()-start))
}
