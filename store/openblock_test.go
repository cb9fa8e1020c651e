package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// The bytes open blocks hold (Stats.OpenBlockBytes, which bounds buffer
// memory) follow every kind of write: buffered partial writes add their
// size, a whole-chunk write drops the chunk's open block, sealing and
// Commit release what they store.
func TestOpenBlockBytes(t *testing.T) {
	ctx := context.Background()
	fs := newFS(t, store.Options{BlockSize: 4096, FlushInterval: -1})
	h, _, _, err := fs.Create(ctx, alice, fs.Root(), "f", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(off int64, n int, how store.Stability, want int64) {
		t.Helper()
		if _, _, err := fs.WriteAt(ctx, alice, h, bytes.Repeat([]byte{byte(off)}, n), off, how); err != nil {
			t.Fatal(err)
		}
		if got := fs.Stats().OpenBlockBytes; got != want {
			t.Fatalf("after writing %d bytes at %d: %d bytes in open blocks, want %d", n, off, got, want)
		}
	}
	write(0, 100, store.Unstable, 100)
	write(200, 100, store.Unstable, 200)       // a second run in chunk 0
	write(4096+10, 50, store.Unstable, 250)    // chunk 1
	write(0, 4096, store.Unstable, 50)         // chunk 0 whole: its open block goes
	write(2*4096+7, 30, store.FileSync, 80)    // logged stable write, kept open
	write(4096+10, 50, store.Unstable, 80)     // overwrite in place
	write(4096, 4096, store.FileSync, 30)      // chunk 1 whole, stable
	write(3*4096, 4000, store.Unstable, 4030)  // chunk 3, partial
	write(3*4096+4000, 96, store.Unstable, 30) // completes chunk 3: sealed
	if _, err := fs.Commit(ctx, alice, h); err != nil {
		t.Fatal(err)
	}
	if got := fs.Stats().OpenBlockBytes; got != 30 {
		// Commit seals chunks holding unstable writes; chunk 2 holds a
		// logged stable write only.
		t.Fatalf("after Commit: %d bytes in open blocks, want 30", got)
	}
}
