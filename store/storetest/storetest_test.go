package storetest_test

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
	"github.com/dittofs/dittofs/store/storetest"
)

// Deliberately broken backends, each wrong in one way the suite must
// catch.

// scanInclusive includes the end key in Scan.
type scanInclusive struct{ *memory.Metadata }

type inclusiveTx struct{ store.Tx }

func (tx inclusiveTx) Scan(start, end []byte, fn func(k, v []byte) bool) error {
	return tx.Tx.Scan(start, nil, func(k, v []byte) bool {
		if end != nil && bytes.Compare(k, end) > 0 {
			return false
		}
		return fn(k, v)
	})
}

func (m scanInclusive) View(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.View(ctx, func(tx store.Tx) error { return fn(inclusiveTx{tx}) })
}

func (m scanInclusive) Update(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.Update(ctx, func(tx store.Tx) error { return fn(inclusiveTx{tx}) })
}

// commitOnError commits an Update whose function failed.
type commitOnError struct{ *memory.Metadata }

func (m commitOnError) Update(ctx context.Context, fn func(store.Tx) error) error {
	var ferr error
	err := m.Metadata.Update(ctx, func(tx store.Tx) error { ferr = fn(tx); return nil })
	if ferr != nil {
		return ferr
	}
	return err
}

// silentView drops the writes of a View without failing them.
type silentView struct{ *memory.Metadata }

type silentTx struct{ store.Tx }

func (silentTx) Put(key, val []byte) error { return nil }
func (silentTx) Delete(key []byte) error   { return nil }

func (m silentView) View(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.View(ctx, func(tx store.Tx) error { return fn(silentTx{tx}) })
}

// lostUpdates is snapshot isolation without conflict detection: fn runs
// on a snapshot and its writes are applied afterwards, whatever committed
// meanwhile.
type lostUpdates struct{ *memory.Metadata }

type bufTx struct {
	store.Tx
	puts map[string][]byte
	dels map[string]bool
}

func (tx *bufTx) Get(key []byte) ([]byte, error) {
	if v, ok := tx.puts[string(key)]; ok {
		return v, nil
	}
	if tx.dels[string(key)] {
		return nil, store.ErrNotFound
	}
	return tx.Tx.Get(key)
}

func (tx *bufTx) Put(key, val []byte) error {
	tx.puts[string(key)] = bytes.Clone(val)
	delete(tx.dels, string(key))
	return nil
}

func (tx *bufTx) Delete(key []byte) error {
	tx.dels[string(key)] = true
	delete(tx.puts, string(key))
	return nil
}

func (m lostUpdates) Update(ctx context.Context, fn func(store.Tx) error) error {
	b := &bufTx{puts: map[string][]byte{}, dels: map[string]bool{}}
	if err := m.Metadata.View(ctx, func(tx store.Tx) error { b.Tx = tx; return fn(b) }); err != nil {
		return err
	}
	return m.Metadata.Update(ctx, func(tx store.Tx) error {
		for k, v := range b.puts {
			if err := tx.Put([]byte(k), v); err != nil {
				return err
			}
		}
		for k := range b.dels {
			if err := tx.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// eofAtEnd returns io.EOF also when p ends exactly at the end of a block.
type eofAtEnd struct{ *memory.Blocks }

func (b eofAtEnd) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	n, err := b.Blocks.ReadAt(ctx, id, p, off)
	if err == nil {
		if _, perr := b.Blocks.ReadAt(ctx, id, make([]byte, 1), off+int64(n)); perr == io.EOF {
			return n, io.EOF
		}
	}
	return n, err
}

// keepsBuffer stores the caller's slice instead of a copy.
type keepsBuffer struct {
	*memory.Blocks
	mu *sync.Mutex
	m  map[store.BlockID][]byte
}

func (b keepsBuffer) Put(ctx context.Context, id store.BlockID, data []byte) error {
	b.mu.Lock()
	b.m[id] = data
	b.mu.Unlock()
	return b.Blocks.Put(ctx, id, data)
}

func (b keepsBuffer) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	b.mu.Lock()
	d, ok := b.m[id]
	b.mu.Unlock()
	if ok && off >= 0 && off < int64(len(d)) {
		n := copy(p, d[off:])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	return b.Blocks.ReadAt(ctx, id, p, off)
}

type brokenBackend struct {
	meta    func() store.Metadata
	blocks  func() store.Blocks
	fs      func() (store.Metadata, store.Blocks) // runs storetest.FS
	failing string                                // a subtest that must fail, or alternatives split by |
}

var broken = map[string]brokenBackend{
	"scanInclusive": {meta: func() store.Metadata { return scanInclusive{memory.NewMetadata()} }, failing: "ScanRanges"},
	"commitOnError": {meta: func() store.Metadata { return commitOnError{memory.NewMetadata()} }, failing: "Rollback"},
	"lostUpdates":   {meta: func() store.Metadata { return lostUpdates{memory.NewMetadata()} }, failing: "LostUpdate"},
	"silentView":    {meta: func() store.Metadata { return silentView{memory.NewMetadata()} }, failing: "ReadOnlyView"},
	"eofAtEnd":      {blocks: func() store.Blocks { return eofAtEnd{memory.NewBlocks()} }, failing: "PutRead"},
	"keepsBuffer": {blocks: func() store.Blocks {
		return keepsBuffer{memory.NewBlocks(), &sync.Mutex{}, map[store.BlockID][]byte{}}
	}, failing: "CallerBuffer"},
}

// TestBrokenChild runs the suite against the broken backend named by
// STORETEST_BROKEN; TestSuiteCatchesBrokenBackends runs it in a child.
func TestBrokenChild(t *testing.T) {
	name := os.Getenv("STORETEST_BROKEN")
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenBackends")
	}
	b := broken[name]
	if b.fs != nil {
		storetest.FS(t, func(t *testing.T) (store.Metadata, store.Blocks) { return b.fs() },
			storetest.FSOptions{Seeds: 2, Steps: 200, Timeout: childTimeout})
	} else if b.meta != nil {
		storetest.Metadata(t, func(t *testing.T) store.Metadata { return b.meta() }, storetest.MetadataOptions{Timeout: childTimeout})
	} else {
		storetest.Blocks(t, func(t *testing.T) store.Blocks { return b.blocks() }, storetest.BlocksOptions{Timeout: childTimeout})
	}
}

// childTimeout is the suite's no-progress timeout in the children, shorter
// than storetest.DefaultTimeout to keep this test quick.
const childTimeout = 3 * time.Second

// TestSuiteCatchesBrokenBackends runs the suite against each broken
// backend in a child process, which must fail, in the subtest aimed at
// the fault, within a minute: a suite that hangs on a broken backend is
// killed at the deadline and reported.
func TestSuiteCatchesBrokenBackends(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(broken)) {
		b := broken[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrokenChild$", "-test.timeout=5m")
			cmd.Env = append(os.Environ(), "STORETEST_BROKEN="+name)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("the suite hung on a backend that is %s (killed after a minute); output:\n%s", name, out)
			}
			if err == nil {
				t.Fatalf("the suite passed a backend that is %s", name)
			}
			if strings.Contains(string(out), "panic: test timed out") {
				t.Fatalf("the suite hung on a backend that is %s until -test.timeout; output:\n%s", name, out)
			}
			for _, sub := range strings.Split(b.failing, "|") {
				if strings.Contains(string(out), "--- FAIL: TestBrokenChild/"+sub+" ") {
					return
				}
			}
			t.Fatalf("subtest %s did not fail; output:\n%s", b.failing, out)
		})
	}
}

// TestSuitePassesMemory runs the suites against the correct backends, so
// that the broken ones above fail for their fault alone.
func TestSuitePassesMemory(t *testing.T) {
	t.Run("Metadata", func(t *testing.T) {
		storetest.Metadata(t, func(t *testing.T) store.Metadata { return memory.NewMetadata() })
	})
	t.Run("Blocks", func(t *testing.T) {
		storetest.Blocks(t, func(t *testing.T) store.Blocks { return memory.NewBlocks() })
	})
	t.Run("FS", func(t *testing.T) {
		storetest.FS(t, func(t *testing.T) (store.Metadata, store.Blocks) { return memory.NewMetadata(), memory.NewBlocks() },
			storetest.FSOptions{Seeds: 2, Steps: 200})
	})
}
