package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
)

// Metadata is the contract a metadata backend implements: a small,
// transactional, ordered key-value store. store.FS owns the key layout and
// runs every filesystem operation as one transaction over it, so a backend
// needs only these few methods. An embedder who brings their own database
// implements Metadata (and Persistence, and Syncer when it persists) and
// runs storetest.Metadata against it.
//
// Transactions are serializable: an Update sees either all or none of every
// other committed Update, including for the ranges its Scans read (a key
// inserted into a scanned range by a concurrent commit is a conflict, as
// much as a changed key is). When an Update cannot commit because a
// concurrent transaction touched the same keys, it returns an error that
// matches ErrConflict (errors.Is) and store.FS retries the whole
// operation; retrying must eventually succeed.
//
// A Metadata is safe for concurrent use by many goroutines, and store.FS
// relies on these properties beyond serializability, which
// storetest.Metadata checks:
//
//   - A View never waits for an Update: it reads a snapshot, so it runs
//     while an Update is in its function. Nor does an Update wait for a
//     View: an Update may start and commit while a View is open, even one
//     started from inside that View's function on the same goroutine.
//   - A context that is already done makes View and Update return its
//     error (matching errors.Is) without calling fn. An Update whose context
//     is canceled while fn runs either commits everything fn did or returns
//     the context's error and keeps nothing.
//   - A Tx used after its function returned gives an error on every
//     method; it never panics and never changes the store.
//   - Close is idempotent: a second Close returns nil at once. After Close,
//     View and Update return an error.
//   - Keys of up to 4 KiB, values of up to 5 MiB and an Update that writes
//     20,000 keys (about 1.5 MB) are accepted. An empty key is stored like
//     any other or refused with an error matching ErrInvalid.
type Metadata interface {
	// View runs fn in a read-only transaction on a snapshot of the store.
	// Put and Delete return an error matching ErrReadOnly inside it, and
	// the transaction goes on.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction and commits it when fn
	// returns nil; when fn returns an error nothing it did is kept and the
	// error is returned unchanged (the same value). A commit that cannot
	// be serialized returns an error matching ErrConflict.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the backend. It is idempotent.
	Close() error
}

// Tx is one transaction of a Metadata backend. It is not safe for concurrent
// use and is valid only while the function passed to View or Update runs.
type Tx interface {
	// Get returns the value stored under key, or an error matching
	// ErrNotFound. The returned slice is valid until the transaction ends
	// and must not be modified; a commit by another transaction meanwhile
	// does not change it.
	Get(key []byte) ([]byte, error)
	// Put stores val under key, replacing any previous value. The backend
	// may keep references to key and val until the transaction ends; the
	// caller must not modify them.
	Put(key, val []byte) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(key []byte) error
	// Scan calls fn for every key in [start, end) in ascending byte order,
	// including the transaction's own uncommitted writes. A nil start is
	// the smallest key, a nil end means no upper bound, and end <= start
	// is an empty range. Scan stops early when fn returns false. k and v
	// are valid only during the call to fn.
	//
	// Scan sees the transaction as it was when Scan was called: fn may
	// call Get, Put, Delete and Scan on the same Tx (the Get and the inner
	// Scan see fn's writes), but the keys this Scan visits, and their
	// values, are those of the moment of the call. A key fn deletes
	// further ahead in the range is still visited, with its old value; a
	// key fn inserts ahead is not.
	Scan(start, end []byte, fn func(k, v []byte) bool) error
}

// BlockID names a content block in a Blocks backend. Sealed blocks are
// named by the hash of their content; open blocks by an id store.FS
// chooses. A backend treats the id as opaque.
type BlockID [32]byte

// String returns the id in lower-case hex.
func (id BlockID) String() string { return hex.EncodeToString(id[:]) }

// Blocks is the contract a block backend implements: immutable blobs of
// content addressed by BlockID. A Blocks is safe for concurrent use by
// many goroutines. Optional capabilities are found by type assertion: see
// Persistence, Syncer and io.Closer.
type Blocks interface {
	// Put stores data under id, replacing any previous block of that id
	// atomically: a concurrent or later ReadAt sees the old block or the
	// new one, never a mix. The backend must not keep data after Put
	// returns. A done context makes Put fail with its error and store
	// nothing.
	Put(ctx context.Context, id BlockID, data []byte) error
	// ReadAt reads len(p) bytes of block id starting at off. It returns
	// the number of bytes read and io.EOF when the block ends before p is
	// filled (a read that exactly fills p returns nil); a missing block
	// returns an error matching ErrNotFound, a negative off another error.
	// p never aliases the stored block.
	ReadAt(ctx context.Context, id BlockID, p []byte, off int64) (int, error)
	// Delete removes block id. Deleting an absent block is not an error.
	Delete(ctx context.Context, id BlockID) error
	// Walk calls fn for every stored block, once each, in no particular
	// order, for garbage collection. fn may Delete the block it is given
	// (and Put and ReadAt), so Walk must not hold a lock they need. Walk
	// stops at and returns fn's first error; a done context makes it
	// return the context's error.
	Walk(ctx context.Context, fn func(BlockID) error) error
}

// The optional interfaces below are found by type assertion on the value
// given to NewFS. A wrapper around a backend (for logging, metrics, a
// read-only view) that embeds the Metadata or Blocks interface hides them:
// it must forward each one its backend implements, or store.FS silently
// loses the capability (a hidden Syncer means NFS COMMIT no longer reaches
// the disk). NewFS refuses the combinations that give such a wrapper away
// (see Persistence), and storetest fails a backend that does not declare
// its persistence.

// Persistence declares whether a backend keeps its data across a restart
// of the process. Every backend should implement it; storetest requires
// it. NewFS refuses a pair of backends that do not belong together:
//
//   - a persistent backend that does not implement Syncer;
//   - a persistent backend with a volatile one (metadata on disk over
//     blocks in memory, or the reverse: after a restart one side would
//     describe data the other no longer has);
//   - a persistent backend with one that declares nothing, which is what a
//     wrapper that hides Persistence and Syncer looks like.
//
// A backend that does not implement Persistence counts as persistent when
// it implements Syncer and as undeclared otherwise; undeclared backends are
// accepted only with each other or with volatile ones.
//
// In this module store/memory is volatile; store/badger and store/localfs
// are persistent.
type Persistence interface {
	// Persistent reports whether committed data survives Close and a
	// restart of the process. It returns the same answer every time.
	Persistent() bool
}

// Syncer is implemented by backends whose writes may sit in volatile
// buffers. Sync returns once everything written before the call is on
// stable storage. store.FS calls it for NFS COMMIT and stable writes. A
// persistent backend must implement it (a backend that needs no flush
// returns nil).
type Syncer interface {
	Sync(ctx context.Context) error
}

// A Blocks backend may also implement io.Closer. store.FS never closes its
// backends (FS.Close seals open blocks and syncs); whoever opened them
// closes them after the FS. Close of a block backend is idempotent, like
// Metadata.Close.

// persistence is what b declares: persistent, volatile or undeclared.
func persistence(b any) (persistent, declared bool) {
	if p, ok := b.(Persistence); ok {
		return p.Persistent(), true
	}
	if _, ok := b.(Syncer); ok {
		return true, true
	}
	return false, false
}

// checkBackends reports whether meta and blocks may be used together (see
// Persistence): nil when they may, else an error matching ErrInvalid that
// names the mismatch. Persistent implies declared, so equal persistence
// covers every accepted pair.
func checkBackends(meta Metadata, blocks Blocks) error {
	mp, md := persistence(meta)
	bp, bd := persistence(blocks)
	describe := func(persistent, declared bool) string {
		switch {
		case !declared:
			return "declares no persistence (neither store.Persistence nor store.Syncer)"
		case persistent:
			return "is persistent"
		}
		return "is volatile"
	}
	for _, b := range []struct {
		what string
		v    any
		p    bool
	}{{"metadata", meta, mp}, {"block", blocks, bp}} {
		if _, ok := b.v.(Syncer); b.p && !ok {
			return NewError(CodeInvalid, "newfs", "", fmt.Errorf(
				"%s backend %T is persistent but does not implement store.Syncer, so NFS COMMIT could not make its data durable; a wrapper must forward Sync", b.what, b.v))
		}
	}
	if mp == bp {
		return nil
	}
	msg := fmt.Sprintf("metadata backend %T %s but block backend %T %s", meta, describe(mp, md), blocks, describe(bp, bd))
	if !md || !bd {
		msg += "; a wrapper around a backend must forward store.Persistence and store.Syncer"
	} else {
		msg += "; after a restart one would describe data the other no longer has"
	}
	return NewError(CodeInvalid, "newfs", "", errors.New(msg))
}
