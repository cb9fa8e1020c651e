// Package wire is the wire layer of the SMB 2/3 server: Direct TCP
// framing, the SMB2 header, compound chains, the SMB1 negotiate upgrade,
// and the request decoders and response encoders of every command a file
// server handles, written from MS-SMB2 (sections cited on each type), with
// NTSTATUS values from MS-ERREF and the constants of MS-FSCC and MS-DTYP
// that requests carry.
//
// # Decoding
//
// A server reads a frame with FrameReader (whose maximum is checked on the
// 4-byte header, before any allocation), splits it into messages with
// Split (every NextCommand validated: aligned, in range, moving forward,
// the last zero) and decodes each message's body with the request type of
// its command:
//
//	msgs, err := wire.Split(frame, msgs)
//	for _, m := range msgs {
//		switch m.Header.Command {
//		case wire.SMB2_WRITE:
//			var w wire.WriteRequest
//			if err := w.Decode(m.Raw); err != nil { … STATUS_INVALID_PARAMETER }
//		…
//
// Decode methods take the whole message, header included, because MS-SMB2
// counts every buffer offset from the start of the SMB2 header. They check
// the StructureSize MS-SMB2 fixes for the structure, that the message is
// long enough for the fixed part, and that every offset/length pair lies
// in the variable part of the message (not in the header or fixed part,
// not past the end) and does not overlap the message's other buffers.
// UTF-16 strings must have an even length. Counts are checked against the
// bytes present before anything is allocated.
//
// Byte slices in decoded structs (WriteRequest.Data, CreateRequest.Name,
// create-context data, security buffers, ...) alias the frame and are not
// copied: they are valid as long as the frame buffer is, so a server that
// reuses frame buffers must copy what it keeps beyond the request. Slices
// of parsed elements (CreateRequest.Contexts, LockRequest.Locks) reuse
// their backing array when a struct is decoded into again. Decoders that
// need no list (READ, WRITE, CLOSE, ...) do not allocate at all.
//
// Decoders never panic; the error is one of the Err* values of this
// package, which a server answers with STATUS_INVALID_PARAMETER.
//
// # Encoding
//
// An Encoder appends little-endian fields. BeginMessage appends an SMB2
// header and makes later offsets (Rel) relative to it; beginning a second
// message pads the first to 8 bytes and sets its NextCommand, which builds
// a compound response. Each response type's Encode appends its body:
//
//	var e wire.Encoder
//	e.BeginMessage(&wire.Header{Command: wire.SMB2_READ, Flags: wire.SMB2_FLAGS_SERVER_TO_REDIR, …})
//	(&wire.ReadResponse{}).EncodeFixed(&e, len(data))
//	wire.WriteFrame(conn, e.Bytes(), data)
//
// Signing runs after the compound is complete, over MessageAt(i).
//
// Names of wire constants keep the specifications' spelling
// (SMB2_FLAGS_SIGNED, STATUS_ACCESS_DENIED, FILE_SHARE_READ,
// FileBasicInformation), as the NFS packages do.
//
// The file and file-system information structures of MS-FSCC (QUERY_INFO,
// SET_INFO and QUERY_DIRECTORY payloads) are in the fscc subpackage.
package wire
