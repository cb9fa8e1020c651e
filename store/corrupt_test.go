package store_test

import (
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// TestCorruptionSweep corrupts each record of a populated store in turn
// (truncated, extended, bytes flipped) and runs every kind of operation:
// none may panic, and Check must report a problem or the operations must
// still agree with each other.
func TestCorruptionSweep(t *testing.T) {
	build := func() (*memory.Metadata, *memory.Blocks, []store.Handle) {
		meta, blocks := memory.NewMetadata(), memory.NewBlocks()
		fs, err := store.NewFS(meta, blocks, store.Options{BlockSize: 512, RootMode: 0o777, Clock: newClock(), FlushInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		r := fs.Root()
		d := mkdir(t, fs, alice, r, "d", 0o755)
		f := create(t, fs, alice, d, "f", 0o644)
		if _, _, err := fs.WriteAt(ctx, alice, f, make([]byte, 1500), 100, store.FileSync); err != nil {
			t.Fatal(err)
		}
		s, _, _, err := fs.Symlink(ctx, alice, d, "s", "target", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.SetXattr(ctx, alice, f, "user.x", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := fs.Link(ctx, alice, f, r, "g"); err != nil {
			t.Fatal(err)
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
		return meta, blocks, []store.Handle{r, d, f, s}
	}
	// Every build has its own block-naming key, so block names, and with
	// them the order of the 'b' keys, differ between builds: the sweep
	// takes each build's own keys.
	keysOf := func(meta store.Metadata) [][]byte {
		var keys [][]byte
		if err := meta.View(ctx, func(tx store.Tx) error {
			return tx.Scan(nil, nil, func(k, v []byte) bool {
				keys = append(keys, append([]byte(nil), k...))
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	meta, _, _ := build()
	keys := keysOf(meta)
	rank := make([]int, len(keys)) // rank of each key among those of its prefix
	for i := 1; i < len(keys); i++ {
		if keys[i][0] == keys[i-1][0] {
			rank[i] = rank[i-1] + 1
		}
	}
	mutations := []func([]byte) []byte{
		func(v []byte) []byte { return v[:len(v)/2] },
		func(v []byte) []byte { return append(append([]byte(nil), v...), 0xff) },
		func(v []byte) []byte {
			w := append([]byte(nil), v...)
			for i := range w {
				w[i] ^= 0xa5
			}
			return w
		},
		func(v []byte) []byte { return nil },
	}
	ioErrs, opened := 0, 0
	io := func(err error) {
		if store.CodeOf(err) == store.CodeIO {
			ioErrs++
		}
	}
	for ki, key := range keys {
		for mi, mut := range mutations {
			t.Run(fmt.Sprintf("key%d-%q-m%d", ki, key[:1], mi), func(t *testing.T) {
				meta, blocks, hs := build()
				// The key of this build with key's prefix and rank among
				// that prefix's keys (the usage shards of block bytes
				// depend on block names too, so their count may differ).
				var same [][]byte
				for _, k := range keysOf(meta) {
					if k[0] == key[0] {
						same = append(same, k)
					}
				}
				if rank[ki] >= len(same) {
					t.Skipf("this build has %d keys of prefix %q", len(same), key[:1])
				}
				key := same[rank[ki]]
				if err := meta.Update(ctx, func(tx store.Tx) error {
					v, err := tx.Get(key)
					if err != nil {
						return err
					}
					return tx.Put(key, mut(append([]byte(nil), v...)))
				}); err != nil {
					t.Fatal(err)
				}
				fs, err := store.NewFS(meta, blocks, store.Options{BlockSize: 512, FlushInterval: -1})
				if err != nil {
					io(err)
					return // refusing to open a corrupt store is fine
				}
				opened++
				for _, h := range hs {
					_, err := fs.GetAttr(ctx, nil, h)
					io(err)
					_, _, err = fs.Lookup(ctx, root, h, "f")
					io(err)
					fs.Lookup(ctx, root, h, "..")
					_, _, err = fs.ReadDir(ctx, root, h, 0, store.Verifier{}, true, func(*store.DirEntry) bool { return true })
					io(err)
					_, _, _, err = fs.ReadAt(ctx, root, h, make([]byte, 4096), 0)
					io(err)
					fs.WriteAt(ctx, root, h, []byte("x"), 700, store.FileSync)
					fs.Readlink(ctx, root, h)
					fs.ListXattr(ctx, root, h)
					fs.GetXattr(ctx, root, h, "user.x")
					fs.Seek(ctx, root, h, 0, store.SeekHole)
					fs.Clone(ctx, root, h, 0, hs[2], 2000, 10)
					fs.SetAttr(ctx, root, h, &store.SetAttr{Mask: store.SetSize, Size: 10})
				}
				fs.Rename(ctx, root, hs[1], "f", hs[0], "moved")
				fs.Remove(ctx, root, hs[0], "g")
				fs.Remove(ctx, root, hs[1], "s")
				fs.Rmdir(ctx, root, hs[0], "d")
				fs.Create(ctx, root, hs[1], "new", store.CreateGuarded, nil, store.Verifier{})
				if _, err := fs.Check(ctx); err != nil {
					t.Fatalf("check could not run: %v", err)
				}
				fs.GC(ctx)
			})
		}
	}
	if ioErrs < len(keys) || opened < len(keys) {
		t.Fatalf("the sweep hit %d I/O errors and opened %d stores over %d keys: too few to mean anything", ioErrs, opened, len(keys))
	}
	t.Logf("%d keys, %d stores opened, %d ErrIO results", len(keys), opened, ioErrs)
}
