package store_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/internal/fsmodel"
	"github.com/dittofs/dittofs/store/memory"
)

// conflicting wraps a Metadata so that a share of Updates fail with
// ErrConflict after their function ran, as an optimistic backend does.
type conflicting struct {
	store.Metadata
	mu  sync.Mutex
	rnd *rand.Rand
	n   int
}

func (c *conflicting) Update(ctx context.Context, fn func(store.Tx) error) error {
	return c.Metadata.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.rnd.IntN(4) == 0 {
			c.n++
			return store.NewError(store.CodeConflict, "test", "", nil)
		}
		return nil
	})
}

func TestModelWithConflicts(t *testing.T) {
	var meta *conflicting
	fsmodel.Run(t, func(testing.TB) (store.Metadata, store.Blocks) {
		meta = &conflicting{Metadata: memory.NewMetadata(), rnd: rand.New(rand.NewPCG(9, 9))}
		return meta, memory.NewBlocks()
	}, fsmodel.Config{Seeds: 4, Steps: 300, Seed: 50})
	if meta.n == 0 {
		t.Fatal("no conflicts injected")
	}
}

func TestConflictRetriesAreBounded(t *testing.T) {
	meta := &alwaysConflict{Metadata: memory.NewMetadata()}
	fs, err := store.NewFS(meta, memory.NewBlocks(), store.Options{MaxRetries: 3})
	if err == nil {
		_, _, _, err = fs.Mkdir(ctx, root, fs.Root(), "d", nil)
	}
	wantCode(t, err, store.CodeConflict)
}

type alwaysConflict struct{ store.Metadata }

func (c *alwaysConflict) Update(ctx context.Context, fn func(store.Tx) error) error {
	return store.ErrConflict
}

// TestCrash drops an FS without closing it, as a crash would, and reopens
// the backends: stable writes and committed unstable writes survive,
// fsck is clean, and GC collects what the crash left behind.
func TestCrash(t *testing.T) {
	meta, blocks := memory.NewMetadata(), memory.NewBlocks()
	opts := store.Options{BlockSize: 4096, RootMode: 0o777, Clock: newClock()}
	fs, err := store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := fs.Root()
	stable := create(t, fs, alice, r, "stable", 0o644)
	committed := create(t, fs, alice, r, "committed", 0o644)
	lost := create(t, fs, alice, r, "lost", 0o644)
	p := bytes.Repeat([]byte("0123456789"), 1000)
	if _, _, err := fs.WriteAt(ctx, alice, stable, p[:5000], 0, store.FileSync); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.WriteAt(ctx, alice, stable, p[:100], 7000, store.DataSync); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.WriteAt(ctx, alice, committed, p, 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	v1, err := fs.Commit(ctx, alice, committed)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.WriteAt(ctx, alice, lost, p[:3000], 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	// a block put without its record, as if the crash came in between
	if err := blocks.Put(ctx, store.BlockID{42}, []byte("orphan")); err != nil {
		t.Fatal(err)
	}
	fs2, err := store.NewFS(meta, blocks, opts) // fs is abandoned, not closed
	if err != nil {
		t.Fatal(err)
	}
	if fs2.WriteVerifier() == v1 {
		t.Fatal("write verifier did not change across a restart")
	}
	want := append(append(append([]byte{}, p[:5000]...), make([]byte, 2000)...), p[:100]...)
	if got := readAll(t, fs2, alice, stable); !bytes.Equal(got, want) {
		t.Fatal("stable data lost")
	}
	if got := readAll(t, fs2, alice, committed); !bytes.Equal(got, p) {
		t.Fatal("committed data lost")
	}
	// the unstable write's size survived, its data reads as zeroes
	if got := readAll(t, fs2, alice, lost); len(got) != 3000 || !bytes.Equal(got, make([]byte, 3000)) {
		t.Fatal("lost write", len(got))
	}
	checkFS(t, fs2)
	st, err := fs2.GC(ctx)
	if err != nil || st.Deleted != 1 {
		t.Fatal(st, err)
	}
	// new ids after the restart never reuse old ones
	h := create(t, fs2, alice, r, "new", 0o644)
	for _, old := range []store.Handle{stable, committed, lost} {
		if h.ID == old.ID {
			t.Fatal("node id reused")
		}
	}
	checkFS(t, fs2)
}

func TestBackgroundFlush(t *testing.T) {
	blocks := memory.NewBlocks()
	fs, err := store.NewFS(memory.NewMetadata(), blocks, store.Options{RootMode: 0o777, FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	f := create(t, fs, alice, fs.Root(), "f", 0o644)
	if _, _, err := fs.WriteAt(ctx, alice, f, []byte("unstable"), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for blocks.Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the flusher did not seal an idle file")
		}
		time.Sleep(time.Millisecond)
	}
	if got := readAll(t, fs, alice, f); string(got) != "unstable" {
		t.Fatalf("%q", got)
	}
}
