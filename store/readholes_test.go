package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// Holes read as zeroes whatever the caller's buffer held: before, between
// and after mapped extents, in sealed blocks and in open ones, in one
// read spanning several chunks.
func TestReadHolesIntoDirtyBuffer(t *testing.T) {
	ctx := context.Background()
	fs := newFS(t, store.Options{BlockSize: 4096, FlushInterval: -1})
	h, _, _, err := fs.Create(ctx, alice, fs.Root(), "f", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 3*4096+500)
	put := func(off int, n int, b byte, how store.Stability) {
		t.Helper()
		p := bytes.Repeat([]byte{b}, n)
		if _, _, err := fs.WriteAt(ctx, alice, h, p, int64(off), how); err != nil {
			t.Fatal(err)
		}
		copy(want[off:], p)
	}
	put(100, 50, 1, store.Unstable)
	put(1000, 30, 2, store.Unstable)
	put(4096, 4096, 3, store.Unstable) // a whole chunk: a sealed block
	put(2*4096+10, 20, 4, store.Unstable)
	if _, err := fs.Commit(ctx, alice, h); err != nil { // seal everything
		t.Fatal(err)
	}
	put(3*4096+300, 200, 5, store.Unstable) // stays open; sets the size
	for _, off := range []int{0, 90, 1500, 4000} {
		p := bytes.Repeat([]byte{0xff}, len(want)+100)
		n, eof, _, err := fs.ReadAt(ctx, alice, h, p, int64(off))
		if err != nil || !eof || n != len(want)-off {
			t.Fatalf("read at %d: %d bytes, eof %v, %v", off, n, eof, err)
		}
		if !bytes.Equal(p[:n], want[off:]) {
			i := 0
			for i < n && p[i] == want[off+i] {
				i++
			}
			t.Fatalf("read at %d: byte %d is %#x, want %#x", off, off+i, p[i], want[off+i])
		}
	}
}
