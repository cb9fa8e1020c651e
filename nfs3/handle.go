package nfs3

import (
	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/store"
)

// handleSize is the size of NFSv3 file handles (RFC 1813 §2.3.3): those
// of package export, which NFSv4 and NLM share.
const handleSize = export.HandleSize

// fileHandle is a decoded NFSv3 file handle: a node of an export.
type fileHandle struct {
	export uint32
	node   store.Handle
}

// encodeHandle writes the handle of node in export into dst and returns
// the handle bytes.
func (s *Server) encodeHandle(dst *[handleSize]byte, exp uint32, node store.Handle) []byte {
	return s.Exports.EncodeHandle(dst, export.FileHandle{Kind: export.KindNode, ID: exp, Node: node})
}

// decodeHandle checks and decodes handle bytes; ok is false for bytes
// that are not a node handle of the export table (NFS3ERR_BADHANDLE; an
// NFSv4 pseudo-filesystem handle is one).
func (s *Server) decodeHandle(b []byte) (fh fileHandle, ok bool) {
	h, ok := s.Exports.DecodeHandle(b)
	if !ok || h.Kind != export.KindNode {
		return fileHandle{}, false
	}
	return fileHandle{export: h.ID, node: h.Node}, true
}
