package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// blockRecords returns the block records ('b' keys) of meta.
func blockRecords(t *testing.T, meta store.Metadata) int {
	t.Helper()
	n := 0
	err := meta.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan([]byte{'b'}, []byte{'c'}, func(k, v []byte) bool { n++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func blockKey(t *testing.T, meta store.Metadata) []byte {
	t.Helper()
	var key []byte
	err := meta.View(context.Background(), func(tx store.Tx) error {
		v, err := tx.Get([]byte{'k'})
		key = bytes.Clone(v)
		return err
	})
	if err != nil {
		t.Fatalf("block key: %v", err)
	}
	return key
}

// The block-naming key is kept with the store: the same content written
// before and after a reopen is stored once. A store without a key (written
// before keyed names) gets one when opened and keeps reading its blocks.
func TestBlockKeyPersists(t *testing.T) {
	ctx := context.Background()
	meta, blocks := memory.NewMetadata(), memory.NewBlocks()
	opts := store.Options{RootMode: 0o777, FlushInterval: -1, BlockSize: 4096}
	data := bytes.Repeat([]byte("dedup me"), 512) // one whole 4 KiB block
	write := func(fs *store.FS, name string) store.Handle {
		t.Helper()
		h, _, _, err := fs.Create(ctx, alice, fs.Root(), name, store.CreateGuarded, nil, store.Verifier{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := fs.WriteAt(ctx, alice, h, data, 0, store.FileSync); err != nil {
			t.Fatal(err)
		}
		return h
	}
	read := func(fs *store.FS, h store.Handle) {
		t.Helper()
		p := make([]byte, len(data))
		if n, _, _, err := fs.ReadAt(ctx, alice, h, p, 0); err != nil || !bytes.Equal(p[:n], data) {
			t.Fatalf("read back %d bytes, %v", n, err)
		}
	}

	fs, err := store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	a := write(fs, "a")
	key := blockKey(t, meta)
	fs.Close()

	fs, err = store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(blockKey(t, meta), key) {
		t.Fatal("reopening changed the block key")
	}
	write(fs, "b")
	if n := blockRecords(t, meta); n != 1 {
		t.Fatalf("one content written before and after a reopen: %d blocks, want 1", n)
	}
	fs.Close()

	// A store from before keyed names: no key record.
	if err := meta.Update(ctx, func(tx store.Tx) error { return tx.Delete([]byte{'k'}) }); err != nil {
		t.Fatal(err)
	}
	fs, err = store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if k := blockKey(t, meta); len(k) != 32 || bytes.Equal(k, key) {
		t.Fatalf("new key %x (old %x)", k, key)
	}
	read(fs, a)
	write(fs, "c")
	if n := blockRecords(t, meta); n != 2 {
		t.Fatalf("after a new key: %d blocks, want 2 (old names stay, new content gets a new name)", n)
	}
	rep, err := fs.Check(ctx)
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check: %v %+v", err, rep)
	}
}
