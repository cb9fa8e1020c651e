package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// Every namespace change reports its directory's attributes around it:
// After is Before with the change counter advanced by one and the
// entries changed, and an operation that changes nothing reports equal
// attributes.
func TestWccEachOperation(t *testing.T) {
	ctx := context.Background()
	fs := newFS(t, store.Options{})
	r := fs.Root()
	d, _ := must2(t)(fs.MkdirWcc(ctx, alice, r, "d", nil, nil))
	e, _ := must2(t)(fs.Mkdir(ctx, alice, r, "e", nil))
	check := func(what string, w *store.Wcc, changed bool) {
		t.Helper()
		if w.Before.ID != w.After.ID || w.Before.ID == 0 {
			t.Fatalf("%s: wcc of nodes %d and %d", what, w.Before.ID, w.After.ID)
		}
		if !changed {
			if w.Before != w.After {
				t.Errorf("%s: nothing changed but wcc %+v -> %+v", what, w.Before, w.After)
			}
			return
		}
		if w.After.Change != w.Before.Change+1 {
			t.Errorf("%s: change %d -> %d, want one step", what, w.Before.Change, w.After.Change)
		}
		now, err := fs.GetAttr(ctx, nil, w.After.Handle())
		if err != nil || now != w.After {
			t.Errorf("%s: After %+v, the directory now %+v (%v)", what, w.After, now, err)
		}
	}
	var w, w2 store.Wcc
	f, _ := must2(t)(fs.CreateWcc(ctx, alice, d, "f", store.CreateGuarded, nil, store.Verifier{}, &w))
	check("create", &w, true)
	must2(t)(fs.CreateWcc(ctx, alice, d, "f", store.CreateUnchecked, nil, store.Verifier{}, &w))
	check("create of an existing file", &w, false)
	must2(t)(fs.MkdirWcc(ctx, alice, d, "sub", nil, &w))
	check("mkdir", &w, true)
	if w.After.Nlink != w.Before.Nlink+1 {
		t.Errorf("mkdir: nlink %d -> %d", w.Before.Nlink, w.After.Nlink)
	}
	must2(t)(fs.SymlinkWcc(ctx, alice, d, "l", "f", nil, &w))
	check("symlink", &w, true)
	must2(t)(fs.MknodWcc(ctx, alice, d, "p", store.TypeFIFO, store.Dev{}, nil, &w))
	check("mknod", &w, true)
	if _, err := fs.LinkWcc(ctx, alice, f, d, "f2", &w); err != nil {
		t.Fatal(err)
	}
	check("link", &w, true)
	if err := fs.RenameWcc(ctx, alice, d, "f2", e, "g", &w, &w2); err != nil {
		t.Fatal(err)
	}
	check("rename source", &w, true)
	check("rename target", &w2, true)
	if err := fs.RenameWcc(ctx, alice, d, "f", d, "f3", &w, &w2); err != nil {
		t.Fatal(err)
	}
	check("rename within a directory", &w, true)
	if w != w2 {
		t.Errorf("rename within one directory: %+v and %+v", w, w2)
	}
	if _, err := fs.LinkWcc(ctx, alice, f, e, "h", nil); err != nil {
		t.Fatal(err)
	}
	if err := fs.RenameWcc(ctx, alice, e, "g", e, "h", &w, &w2); err != nil {
		t.Fatal(err)
	}
	check("rename onto a link of the same file", &w, false)
	if err := fs.RemoveWcc(ctx, alice, d, "f3", &w); err != nil {
		t.Fatal(err)
	}
	check("remove", &w, true)
	if err := fs.RmdirWcc(ctx, alice, d, "sub", &w); err != nil {
		t.Fatal(err)
	}
	check("rmdir", &w, true)
	if w.After.Nlink != w.Before.Nlink-1 {
		t.Errorf("rmdir: nlink %d -> %d", w.Before.Nlink, w.After.Nlink)
	}
}

// Concurrent changes of one directory: each reports a step of the
// change counter that no other took, so the steps chain from the first
// counter to the last with no gap and no overlap: the atomicity an
// NFSv4 client trusts when change_info4 says atomic.
func TestWccConcurrent(t *testing.T) {
	ctx := context.Background()
	fs := newFS(t, store.Options{})
	d, _ := must2(t)(fs.Mkdir(ctx, alice, fs.Root(), "d", nil))
	start, err := fs.GetAttr(ctx, nil, d)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 50
	befores := make(chan uint64, workers*each*2)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for n := range each {
				name := fmt.Sprintf("w%d-%d", i, n)
				var w store.Wcc
				if _, _, err := fs.CreateWcc(ctx, alice, d, name, store.CreateGuarded, nil, store.Verifier{}, &w); err != nil {
					t.Error(err)
					return
				}
				if w.After.Change != w.Before.Change+1 {
					t.Errorf("create: %d -> %d", w.Before.Change, w.After.Change)
				}
				befores <- w.Before.Change
				if err := fs.RemoveWcc(ctx, alice, d, name, &w); err != nil {
					t.Error(err)
					return
				}
				if w.After.Change != w.Before.Change+1 {
					t.Errorf("remove: %d -> %d", w.Before.Change, w.After.Change)
				}
				befores <- w.Before.Change
			}
		})
	}
	wg.Wait()
	close(befores)
	seen := map[uint64]bool{}
	for b := range befores {
		if seen[b] {
			t.Fatalf("two changes started from change %d", b)
		}
		seen[b] = true
	}
	for c := start.Change; c < start.Change+workers*each*2; c++ {
		if !seen[c] {
			t.Fatalf("no change started from %d", c)
		}
	}
}

func must2(t testing.TB) func(store.Handle, store.Attr, error) (store.Handle, store.Attr) {
	return func(h store.Handle, a store.Attr, err error) (store.Handle, store.Attr) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return h, a
	}
}
