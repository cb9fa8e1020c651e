// Package fscc encodes and decodes the file and file system information
// structures of MS-FSCC that SMB2 carries in QUERY_INFO, SET_INFO,
// QUERY_DIRECTORY and CHANGE_NOTIFY: FILETIME conversions, the file
// information classes (§2.4), the file system information classes (§2.5),
// the directory enumeration entries with their 8-byte alignment and
// NextEntryOffset chains, the SET_INFO decoders (rename and link in their
// SMB2 form, disposition, end of file, allocation, position, basic, full
// EA list) and FILE_NOTIFY_INFORMATION.
//
// Encoders append to a wire.Encoder, so a server writes the information
// straight into its response after wire.OutputResponse.EncodeFixed and
// patches the output length afterwards:
//
//	at := e.Len()
//	(&wire.OutputResponse{}).EncodeFixed(e, 0)
//	w, err := fscc.NewDirWriter(e, req.FileInformationClass, int(req.OutputBufferLength))
//	for _, d := range entries {
//		if !w.Add(&d) { break }
//	}
//	e.PutUint32At(at+4, uint32(w.Len()))
//
// Decoders take the SET_INFO buffer (wire.SetInfoRequest.Buffer). A buffer
// shorter than its class's structure is ErrInfoLength
// (STATUS_INFO_LENGTH_MISMATCH); names are UTF-16LE with an even length
// (wire.DecodeUTF16 converts them); decoded byte slices alias the buffer.
//
// Names (UTF-16LE) are converted with wire.DecodeUTF16 and
// wire.AppendUTF16; the information class numbers are wire's constants
// (wire.FileBasicInformation, wire.FileFsSizeInformation, ...).
package fscc
