package store

import (
	"context"
	"encoding/hex"
)

// Metadata is the contract a metadata backend implements: a small,
// transactional, ordered key-value store. store.FS owns the key layout and
// runs every filesystem operation as one transaction over it, so a backend
// needs only these few methods. An embedder who brings their own database
// implements Metadata and runs storetest.Metadata against it.
//
// Transactions are serializable: an Update sees either all or none of every
// other committed Update. When an Update cannot commit because a concurrent
// transaction touched the same keys, it returns an error that matches
// ErrConflict (errors.Is) and store.FS retries the whole operation.
type Metadata interface {
	// View runs fn in a read-only transaction. Put and Delete return
	// ErrReadOnly inside it.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction and commits it when fn
	// returns nil; when fn returns an error nothing it did is kept and the
	// error is returned unchanged. A commit that cannot be serialized
	// returns an error matching ErrConflict.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the backend. Transactions may not be started after.
	Close() error
}

// Tx is one transaction of a Metadata backend. It is not safe for concurrent
// use and is valid only while the function passed to View or Update runs.
type Tx interface {
	// Get returns the value stored under key, or an error matching
	// ErrNotFound. The returned slice is valid until the transaction ends
	// and must not be modified.
	Get(key []byte) ([]byte, error)
	// Put stores val under key, replacing any previous value. The backend
	// may keep references to key and val until the transaction ends; the
	// caller must not modify them.
	Put(key, val []byte) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(key []byte) error
	// Scan calls fn for every key in [start, end) in ascending byte order,
	// including the transaction's own uncommitted writes. A nil end means
	// no upper bound. Scan stops early when fn returns false. k and v are
	// valid only during the call to fn. Scan sees the transaction as it
	// was when Scan was called; fn may call Get, Put, Delete and Scan on
	// the same Tx.
	Scan(start, end []byte, fn func(k, v []byte) bool) error
}

// BlockID names a content block in a Blocks backend. Sealed blocks are
// named by the hash of their content; open blocks by an id store.FS
// chooses. A backend treats the id as opaque.
type BlockID [32]byte

// String returns the id in lower-case hex.
func (id BlockID) String() string { return hex.EncodeToString(id[:]) }

// Blocks is the contract a block backend implements: immutable blobs of
// content addressed by BlockID. Optional capabilities (Syncer, io.Closer)
// are found by type assertion.
type Blocks interface {
	// Put stores data under id, replacing any previous block of that id
	// atomically: a concurrent or later ReadAt sees the old block or the
	// new one, never a mix. The backend must not keep data after Put
	// returns.
	Put(ctx context.Context, id BlockID, data []byte) error
	// ReadAt reads len(p) bytes of block id starting at off. It returns
	// the number of bytes read and io.EOF when the block ends before p is
	// filled (a read that exactly fills p returns nil); a missing block
	// returns an error matching ErrNotFound.
	ReadAt(ctx context.Context, id BlockID, p []byte, off int64) (int, error)
	// Delete removes block id. Deleting an absent block is not an error.
	Delete(ctx context.Context, id BlockID) error
	// Walk calls fn for every stored block, in no particular order, for
	// garbage collection. It stops at and returns fn's first error.
	Walk(ctx context.Context, fn func(BlockID) error) error
}

// Syncer is implemented by backends whose writes may sit in volatile
// buffers. Sync returns once everything written before the call is on
// stable storage. store.FS calls it for NFS COMMIT and stable writes.
type Syncer interface {
	Sync(ctx context.Context) error
}
