package nfs4

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/dittofs/dittofs/store"
)

// File handles are 32 opaque bytes, in the same layout as package nfs3's
// (so that, with the same HandleKey, a handle means the same file over
// both versions):
//
//	0      kind: fhNode (a node of an export) or fhPseudo
//	1..4   zero
//	4..8   export ID, or the pseudo directory's ID (big-endian)
//	8..16  node ID (zero for pseudo directories)
//	16..24 node generation (zero for pseudo directories)
//	24..32 the first 8 bytes of SHA-256(HandleKey || bytes 0..24)
//
// Handles are persistent (fh_expire_type FH4_PERSISTENT): nothing in them
// depends on the server process, and pseudo directory IDs are derived
// from their paths.
const (
	fhNode   = 1
	fhPseudo = 2
	fhSize   = 32
)

// handle is a decoded file handle.
type handle struct {
	kind uint8
	id   uint32 // export or pseudo directory
	node store.Handle
}

func (s *Server) handleSum(b []byte) [sha256.Size]byte {
	var buf [64 + 24]byte
	k := copy(buf[:64], s.HandleKey)
	n := copy(buf[k:], b[:24])
	return sha256.Sum256(buf[:k+n])
}

// encodeHandle writes h into dst and returns the handle bytes.
func (s *Server) encodeHandle(dst *[fhSize]byte, h handle) []byte {
	b := dst[:]
	b[0] = h.kind
	b[1], b[2], b[3] = 0, 0, 0
	binary.BigEndian.PutUint32(b[4:], h.id)
	binary.BigEndian.PutUint64(b[8:], h.node.ID)
	binary.BigEndian.PutUint64(b[16:], h.node.Gen)
	sum := s.handleSum(b)
	copy(b[24:], sum[:8])
	return b
}

// decodeHandle checks and decodes handle bytes; ok is false for bytes
// that are not a handle of this server (NFS4ERR_BADHANDLE).
func (s *Server) decodeHandle(b []byte) (h handle, ok bool) {
	if len(b) != fhSize || (b[0] != fhNode && b[0] != fhPseudo) || b[1]|b[2]|b[3] != 0 {
		return h, false
	}
	sum := s.handleSum(b)
	if [8]byte(sum[:8]) != [8]byte(b[24:32]) {
		return h, false
	}
	h.kind = b[0]
	h.id = binary.BigEndian.Uint32(b[4:])
	h.node = store.Handle{ID: binary.BigEndian.Uint64(b[8:]), Gen: binary.BigEndian.Uint64(b[16:])}
	if (h.kind == fhNode) != (h.node.ID != 0) {
		return handle{}, false
	}
	return h, true
}

// fhOf returns the handle bytes of a file reference.
func (s *Server) fhOf(dst *[fhSize]byte, f *fileRef) []byte {
	if f.pseudo != nil {
		return s.encodeHandle(dst, handle{kind: fhPseudo, id: f.pseudo.id})
	}
	return s.encodeHandle(dst, handle{kind: fhNode, id: f.exp.ID, node: f.node})
}
