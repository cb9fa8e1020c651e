package store_test

import (
	"context"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// TestStatsOpenBlocks: an unstable write is held in an open block until
// COMMIT (RFC 1813 §3.3.7, §3.3.21), and Stats counts its bytes.
func TestStatsOpenBlocks(t *testing.T) {
	ctx := context.Background()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	root := &store.Cred{}
	h, _, _, err := fsys.Create(ctx, root, fsys.Root(), "f", store.CreateUnchecked, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	if n := fsys.Stats().OpenBlockBytes; n != 0 {
		t.Fatalf("before a write: %d open block bytes", n)
	}
	if _, _, err := fsys.WriteAt(ctx, root, h, make([]byte, 5000), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	if n := fsys.Stats().OpenBlockBytes; n < 5000 {
		t.Fatalf("after an unstable write of 5000 bytes: %d open block bytes", n)
	}
	if _, err := fsys.Commit(ctx, root, h); err != nil {
		t.Fatal(err)
	}
	if n := fsys.Stats().OpenBlockBytes; n != 0 {
		t.Fatalf("after COMMIT: %d open block bytes", n)
	}
}
