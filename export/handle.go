package export

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"github.com/dittofs/dittofs/store"
)

// HandleSize is the size of a file handle: NFSv3 nfs_fh3 and NFSv4
// nfs_fh4 data (RFC 1813 §2.3.3, RFC 7530 §4) are the same 32 bytes:
//
//	0      kind (KindNode or KindPseudo)
//	1..4   zero
//	4..8   export ID, or the pseudo directory's ID (big-endian)
//	8..16  node ID (zero for pseudo directories)
//	16..24 node generation (zero for pseudo directories)
//	24..32 the first 8 bytes of SHA-256(Options.HandleKey || bytes 0..24)
//
// The check bytes make a corrupted or hand-made handle a bad handle
// (NFS3ERR_BADHANDLE, NFS4ERR_BADHANDLE); the generation, chosen at
// random by the store when the node is made, makes a handle of a deleted
// node stale and never another node. Nothing in a handle depends on the
// server process, so handles survive restarts with a persistent store and
// the same key (NFSv4 FH4_PERSISTENT), and a handle means the same file
// over every protocol.
const HandleSize = 32

// HandleKind is the first byte of a file handle.
type HandleKind uint8

// Handle kinds. KindNode is also the version byte of the handles NFSv3
// has always given out.
const (
	// KindNode is a node of an export.
	KindNode HandleKind = 1
	// KindPseudo is a directory of the NFSv4 pseudo-filesystem that
	// leads to the exports; ID names it.
	KindPseudo HandleKind = 2
)

// FileHandle is a decoded file handle.
type FileHandle struct {
	Kind HandleKind
	// ID is the export's ID (KindNode) or the pseudo directory's.
	ID uint32
	// Node is the node in the export's FS; zero for KindPseudo.
	Node store.Handle
}

// NodeHandle is the FileHandle of node h of export e.
func NodeHandle(e *Export, h store.Handle) FileHandle {
	return FileHandle{Kind: KindNode, ID: e.ID, Node: h}
}

func (t *Table) handleSum(b []byte) [sha256.Size]byte {
	var buf [64 + 24]byte
	var k int
	if t != nil {
		k = copy(buf[:64], t.key)
	}
	n := copy(buf[k:], b[:24])
	return sha256.Sum256(buf[:k+n])
}

// EncodeHandle writes h into dst and returns the handle bytes (dst[:]).
func (t *Table) EncodeHandle(dst *[HandleSize]byte, h FileHandle) []byte {
	b := dst[:]
	b[0] = byte(h.Kind)
	b[1], b[2], b[3] = 0, 0, 0
	binary.BigEndian.PutUint32(b[4:], h.ID)
	binary.BigEndian.PutUint64(b[8:], h.Node.ID)
	binary.BigEndian.PutUint64(b[16:], h.Node.Gen)
	sum := t.handleSum(b)
	copy(b[24:], sum[:8])
	return b
}

// DecodeHandle checks and decodes handle bytes; ok is false for bytes
// that are not a handle of this table: the wrong length, kind, or check
// bytes, or a node handle without a node (a bad handle). The export or
// node it names may no longer exist (a stale handle): see ResolveHandle.
func (t *Table) DecodeHandle(b []byte) (h FileHandle, ok bool) {
	if len(b) != HandleSize || b[1]|b[2]|b[3] != 0 {
		return h, false
	}
	h.Kind = HandleKind(b[0])
	if h.Kind != KindNode && h.Kind != KindPseudo {
		return FileHandle{}, false
	}
	sum := t.handleSum(b)
	if [8]byte(sum[:8]) != [8]byte(b[24:32]) {
		return FileHandle{}, false
	}
	h.ID = binary.BigEndian.Uint32(b[4:])
	h.Node = store.Handle{ID: binary.BigEndian.Uint64(b[8:]), Gen: binary.BigEndian.Uint64(b[16:])}
	if (h.Kind == KindNode) != (h.Node.ID != 0) {
		return FileHandle{}, false
	}
	return h, true
}

// ResolveHandle checks a node handle as the NFS procedures do and returns
// the export it belongs to and the file's store handle, for services that
// name files by NFS handles (NLM). Bytes that are not a node handle of
// this table are store.ErrBadHandle; a handle of an unknown export or of
// a deleted file is store.ErrStale.
func (t *Table) ResolveHandle(ctx context.Context, fh []byte) (*Export, store.Handle, error) {
	h, ok := t.DecodeHandle(fh)
	if !ok || h.Kind != KindNode {
		return nil, store.Handle{}, store.ErrBadHandle
	}
	e := t.ByID(h.ID)
	if e == nil {
		return nil, store.Handle{}, store.ErrStale
	}
	if _, err := e.FS.Resolve(ctx, h.Node.ID, h.Node.Gen); err != nil {
		return nil, store.Handle{}, err
	}
	return e, h.Node, nil
}
