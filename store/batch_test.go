package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// failing fails every Update once armed.
type failing struct {
	store.Metadata
	armed atomic.Int32 // updates still allowed; <0 means unlimited
}

var errInjected = errors.New("injected I/O error")

func (m *failing) Update(ctx context.Context, fn func(store.Tx) error) error {
	if n := m.armed.Load(); n >= 0 {
		if n == 0 {
			return errInjected
		}
		m.armed.Add(-1)
	}
	return m.Metadata.Update(ctx, fn)
}

// manyExtents makes n stable writes of distinct bytes far apart and seals
// them (small stable writes are logged until then): n extents and blocks.
func manyExtents(t *testing.T, fs *store.FS, h store.Handle, n int) {
	for i := 0; i < n; i++ {
		b := []byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), byte(h.ID)}
		if _, _, err := fs.WriteAt(ctx, alice, h, b, int64(i)*1024, store.FileSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBatchedTruncateAndReap(t *testing.T) {
	meta := &failing{Metadata: memory.NewMetadata()}
	meta.armed.Store(-1)
	blocks := memory.NewBlocks()
	opts := store.Options{BlockSize: 512, RootMode: 0o777, Clock: newClock()}
	fs, err := store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := fs.Root()
	f := create(t, fs, alice, r, "f", 0o644)
	manyExtents(t, fs, f, 1300)
	a, err := after(fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: 10 * 1024}))
	if err != nil || a.Size != 10*1024 || a.Used != 50 {
		t.Fatal(a, err)
	}
	checkFS(t, fs)
	// a removal whose reaping fails half way is finished by the next NewFS
	g := create(t, fs, alice, r, "g", 0o644)
	manyExtents(t, fs, g, 1300)
	meta.armed.Store(2) // the remove and one reap batch
	if _, err := fs.Remove(ctx, alice, r, "g"); err != nil {
		t.Fatal(err)
	}
	meta.armed.Store(-1)
	if n := blocks.Len(); n != 10+1300-2*512 {
		t.Fatalf("%d blocks after an interrupted reap, want %d", n, 10+1300-2*512)
	}
	checkFS(t, fs) // orphaned extents are accounted for
	fs2, err := store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkFS(t, fs2)
	if _, err := fs2.Remove(ctx, alice, r, "f"); err != nil {
		t.Fatal(err)
	}
	checkFS(t, fs2)
	if blocks.Len() != 0 {
		t.Fatalf("%d blocks left", blocks.Len())
	}
}
