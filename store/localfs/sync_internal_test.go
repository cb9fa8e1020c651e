package localfs

import (
	"context"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// TestPutDefersFsyncToSync: with the default policy a Put records its
// block file for the next Sync instead of fsyncing it, Sync fsyncs and
// forgets it, a Delete before the Sync drops it, and DirSyncOnPut (which
// fsyncs in Put) records nothing.
func TestPutDefersFsyncToSync(t *testing.T) {
	ctx := context.Background()
	b, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pending := func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.files)
	}
	ids := []store.BlockID{{1}, {2}, {3}}
	for _, id := range ids {
		if err := b.Put(ctx, id, []byte("block")); err != nil {
			t.Fatal(err)
		}
	}
	if n := pending(); n != 3 {
		t.Fatalf("%d block files awaiting Sync after 3 Puts, want 3", n)
	}
	if err := b.Delete(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 2 {
		t.Fatalf("%d block files awaiting Sync after a Delete, want 2", n)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("%d block files still awaiting Sync after Sync", n)
	}
	strict, err := Open(t.TempDir(), Options{DirSync: DirSyncOnPut})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	if err := strict.Put(ctx, ids[0], []byte("block")); err != nil {
		t.Fatal(err)
	}
	if len(strict.files) != 0 || len(strict.dirty) != 0 {
		t.Fatal("DirSyncOnPut left work for Sync")
	}
}
