package nfs4

import "github.com/dittofs/dittofs/export"

// File handles are package export's (export.HandleSize bytes, kind
// export.KindNode or export.KindPseudo), so a handle means the same file
// over NFSv3, NLM and NFSv4. They are persistent (fh_expire_type
// FH4_PERSISTENT): nothing in them depends on the server process, and
// pseudo directory IDs are derived from their paths.
const fhSize = export.HandleSize

// fhOf returns the handle bytes of a file reference.
func (s *Server) fhOf(dst *[fhSize]byte, f *fileRef) []byte {
	if f.pseudo != nil {
		return s.Exports.EncodeHandle(dst, export.FileHandle{Kind: export.KindPseudo, ID: f.pseudo.id})
	}
	return s.Exports.EncodeHandle(dst, export.NodeHandle(f.exp, f.node))
}
