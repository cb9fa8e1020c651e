package storetest_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// viewWaits is a lock-based backend: a View holds a read lock, an Update
// the write lock, so a View waits for a running Update and an Update for
// every open View.
type viewWaits struct {
	*memory.Metadata
	mu *sync.RWMutex
}

func (m viewWaits) View(ctx context.Context, fn func(store.Tx) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.Metadata.View(ctx, fn)
}

func (m viewWaits) Update(ctx context.Context, fn func(store.Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Metadata.Update(ctx, fn)
}

// wrongNotFound reports a missing key with an error that does not match
// store.ErrNotFound.
type wrongNotFound struct{ *memory.Metadata }

type wrongNotFoundTx struct{ store.Tx }

func (tx wrongNotFoundTx) Get(key []byte) ([]byte, error) {
	v, err := tx.Tx.Get(key)
	if err != nil {
		return nil, fmt.Errorf("key %q does not exist", key)
	}
	return v, nil
}

func (m wrongNotFound) View(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.View(ctx, func(tx store.Tx) error { return fn(wrongNotFoundTx{tx}) })
}

func (m wrongNotFound) Update(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.Update(ctx, func(tx store.Tx) error { return fn(wrongNotFoundTx{tx}) })
}

// closeTwiceHangs waits forever in a second Close.
type closeTwiceHangs struct {
	*memory.Metadata
	closed chan struct{}
}

func (m closeTwiceHangs) Close() error {
	m.closed <- struct{}{} // one slot: the second Close blocks
	return m.Metadata.Close()
}

// walkLocked holds a lock over Walk that Delete needs, so garbage
// collection (delete from inside Walk) deadlocks.
type walkLocked struct {
	*memory.Blocks
	mu *sync.Mutex
}

func (b walkLocked) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Blocks.Walk(ctx, fn)
}

func (b walkLocked) Delete(ctx context.Context, id store.BlockID) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Blocks.Delete(ctx, id)
}

// scanLocked holds a transaction's lock over Scan that Get needs too, so
// a Get from a Scan callback (a directory walk looking up each entry)
// deadlocks.
type scanLocked struct{ *memory.Metadata }

type scanLockedTx struct {
	store.Tx
	mu *sync.Mutex
}

func (tx scanLockedTx) Get(key []byte) ([]byte, error) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.Tx.Get(key)
}

func (tx scanLockedTx) Scan(start, end []byte, fn func(k, v []byte) bool) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.Tx.Scan(start, end, fn)
}

func (m scanLocked) View(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.View(ctx, func(tx store.Tx) error { return fn(scanLockedTx{tx, &sync.Mutex{}}) })
}

func (m scanLocked) Update(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.Update(ctx, func(tx store.Tx) error { return fn(scanLockedTx{tx, &sync.Mutex{}}) })
}

// hidesPersistence is a logging wrapper that embeds the store.Metadata
// interface, hiding its backend's Persistence and Syncer.
type hidesPersistence struct{ store.Metadata }

// persistentNoSync declares itself persistent but cannot Sync.
type persistentNoSync struct{ *memory.Metadata }

func (persistentNoSync) Persistent() bool { return true }

// hangs are the broken backends that used to hang the suite until go
// test's -timeout; each must now fail it.
var hangs = map[string]brokenBackend{
	"viewWaits":       {meta: func() store.Metadata { return viewWaits{memory.NewMetadata(), &sync.RWMutex{}} }, failing: "Isolation|RepeatableRead"},
	"closeTwiceHangs": {meta: func() store.Metadata { return closeTwiceHangs{memory.NewMetadata(), make(chan struct{}, 1)} }, failing: "Close"},
	"scanLocked":      {meta: func() store.Metadata { return scanLocked{memory.NewMetadata()} }, failing: "ScanNested"},
	"fsScanLocked": {fs: func() (store.Metadata, store.Blocks) {
		return scanLocked{memory.NewMetadata()}, memory.NewBlocks()
	}, failing: "seed1|seed2"},
	"walkLocked": {blocks: func() store.Blocks { return walkLocked{memory.NewBlocks(), &sync.Mutex{}} }, failing: "Walk"},
}

func init() {
	for k, v := range hangs {
		broken[k] = v
	}
	broken["fsWrongNotFound"] = brokenBackend{fs: func() (store.Metadata, store.Blocks) {
		return wrongNotFound{memory.NewMetadata()}, memory.NewBlocks()
	}, failing: "seed1|seed2"}
	broken["wrongNotFound"] = brokenBackend{meta: func() store.Metadata { return wrongNotFound{memory.NewMetadata()} }, failing: "NotFound"}
	broken["hidesPersistence"] = brokenBackend{meta: func() store.Metadata { return hidesPersistence{memory.NewMetadata()} }, failing: "Persistence"}
	broken["persistentNoSync"] = brokenBackend{meta: func() store.Metadata { return persistentNoSync{memory.NewMetadata()} }, failing: "Persistence"}
}
