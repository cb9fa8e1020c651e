package nfs3

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/dittofs/dittofs/store"
)

// File handles (RFC 1813 §2.3.3) are 32 opaque bytes:
//
//	0      version (handleVersion)
//	1..4   zero
//	4..8   export ID (big-endian)
//	8..16  node ID
//	16..24 node generation
//	24..32 the first 8 bytes of SHA-256(Server.HandleKey || bytes 0..24)
//
// The check bytes make a corrupted or hand-made handle NFS3ERR_BADHANDLE;
// the generation, chosen at random by the store when the node is made,
// makes a handle of a deleted node NFS3ERR_STALE and never another node.
// Nothing in a handle depends on the server's process, so handles survive
// restarts with a persistent store.
const (
	handleVersion = 1
	handleSize    = 32
)

// fileHandle is a decoded file handle.
type fileHandle struct {
	export uint32
	node   store.Handle
}

func (s *Server) handleSum(b []byte) [sha256.Size]byte {
	var buf [64 + 24]byte
	k := copy(buf[:64], s.HandleKey)
	n := copy(buf[k:], b[:24])
	return sha256.Sum256(buf[:k+n])
}

// encodeHandle writes the handle of node in export into dst (at least
// handleSize bytes) and returns the handle bytes.
func (s *Server) encodeHandle(dst []byte, export uint32, node store.Handle) []byte {
	b := dst[:handleSize]
	b[0] = handleVersion
	b[1], b[2], b[3] = 0, 0, 0
	binary.BigEndian.PutUint32(b[4:], export)
	binary.BigEndian.PutUint64(b[8:], node.ID)
	binary.BigEndian.PutUint64(b[16:], node.Gen)
	sum := s.handleSum(b)
	copy(b[24:], sum[:8])
	return b
}

// decodeHandle checks and decodes handle bytes; ok is false for a handle
// of the wrong length, version or check bytes (NFS3ERR_BADHANDLE).
func (s *Server) decodeHandle(b []byte) (fh fileHandle, ok bool) {
	if len(b) != handleSize || b[0] != handleVersion || b[1]|b[2]|b[3] != 0 {
		return fh, false
	}
	sum := s.handleSum(b)
	if [8]byte(sum[:8]) != [8]byte(b[24:32]) {
		return fh, false
	}
	fh.export = binary.BigEndian.Uint32(b[4:])
	fh.node = store.Handle{ID: binary.BigEndian.Uint64(b[8:]), Gen: binary.BigEndian.Uint64(b[16:])}
	if fh.node.ID == 0 {
		return fileHandle{}, false
	}
	return fh, true
}
