package memory

import (
	"context"
	"io/fs"
	"sync/atomic"

	"github.com/dittofs/dittofs/store"
)

// Metadata is an in-memory store.Metadata: a copy-on-write B-tree with
// MVCC snapshots. A View reads the snapshot committed when it started and
// never blocks; Updates run one at a time, each on a private copy of the
// paths it changes, and commit by publishing the new root. Because writers
// are serialized, Update never returns store.ErrConflict. The function
// given to Update must not start another Update (or Close) on the same
// Metadata: it would wait for itself. A View inside an Update is fine.
//
// Metadata is safe for concurrent use. Its zero value is not usable; call
// NewMetadata.
type Metadata struct {
	root   atomic.Pointer[tree] // the last committed version
	writer chan struct{}        // a one-slot semaphore held by the running Update
	closed atomic.Bool
}

var (
	_ store.Metadata    = (*Metadata)(nil)
	_ store.Persistence = (*Metadata)(nil)
)

// Persistent returns false: nothing survives the process.
func (m *Metadata) Persistent() bool { return false }

// NewMetadata returns an empty in-memory metadata store.
func NewMetadata() *Metadata {
	m := &Metadata{writer: make(chan struct{}, 1)}
	m.root.Store(&tree{})
	return m
}

func errClosed(op string) error {
	return store.NewError(store.CodeIO, op, "", fs.ErrClosed)
}

// View runs fn on the latest committed snapshot.
func (m *Metadata) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed.Load() {
		return errClosed("view")
	}
	tx := &txn{t: *m.root.Load()}
	defer func() { tx.done = true }()
	return fn(tx)
}

// Update runs fn in a read-write transaction after any running Update has
// finished, and commits its writes when fn returns nil and ctx is not done.
func (m *Metadata) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case m.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-m.writer }()
	if m.closed.Load() {
		return errClosed("update")
	}
	tx := &txn{t: *m.root.Load(), writable: true, owner: new(cow)}
	err := fn(tx)
	tx.done = true
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if tx.wrote {
		m.root.Store(&tx.t)
	}
	return nil
}

// Close marks the store closed; later transactions fail with an error
// matching fs.ErrClosed. Close waits for a running Update to finish. The
// contents are dropped with the last reference to m.
func (m *Metadata) Close() error {
	m.writer <- struct{}{}
	m.closed.Store(true)
	<-m.writer
	return nil
}

// Len returns the number of keys in the latest committed snapshot.
func (m *Metadata) Len() int { return m.root.Load().count }

// txn is a transaction over one version of the tree. A read-only txn
// shares the committed version; a writable one modifies its own copy.
type txn struct {
	t        tree
	owner    *cow // nodes with this owner are private to the txn
	writable bool
	wrote    bool // t differs from the committed version
	dirty    bool // some node is owned by owner (see Scan)
	done     bool
}

func (tx *txn) check(op string, write bool) error {
	if tx.done {
		return store.NewError(store.CodeInvalid, op, "", errTxDone)
	}
	if write && !tx.writable {
		return store.NewError(store.CodeReadOnly, op, "", nil)
	}
	return nil
}

type txError string

func (e txError) Error() string { return string(e) }

const errTxDone txError = "transaction has ended"

func (tx *txn) Get(key []byte) ([]byte, error) {
	if err := tx.check("get", false); err != nil {
		return nil, err
	}
	if v, ok := tx.t.get(key); ok {
		return v, nil
	}
	return nil, store.ErrNotFound
}

func (tx *txn) Put(key, val []byte) error {
	if err := tx.check("put", true); err != nil {
		return err
	}
	tx.t.put(tx.owner, newItem(key, val))
	tx.wrote, tx.dirty = true, true
	return nil
}

func (tx *txn) Delete(key []byte) error {
	if err := tx.check("delete", true); err != nil {
		return err
	}
	if tx.t.delete(tx.owner, key) {
		tx.wrote, tx.dirty = true, true
	}
	return nil
}

// Scan walks the transaction's view as it was when Scan was called: fn may
// Put and Delete (also keys of the range being scanned) without disturbing
// the walk, and those writes are not seen by it.
func (tx *txn) Scan(start, end []byte, fn func(k, v []byte) bool) error {
	if err := tx.check("scan", false); err != nil {
		return err
	}
	if tx.writable && tx.dirty {
		// Freeze the nodes this txn has written so far: later writes,
		// including fn's, copy them instead of changing them under us.
		tx.owner = new(cow)
		tx.dirty = false
	}
	t := tx.t
	t.ascend(start, end, fn)
	return nil
}
