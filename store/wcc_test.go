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
	d, _, _ := must3(t)(fs.Mkdir(ctx, alice, r, "d", nil))
	e, _, _ := must3(t)(fs.Mkdir(ctx, alice, r, "e", nil))
	check := func(what string, w store.Wcc, changed bool) {
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
	f, _, w := must3(t)(fs.Create(ctx, alice, d, "f", store.CreateGuarded, nil, store.Verifier{}))
	check("create", w, true)
	_, _, w = must3(t)(fs.Create(ctx, alice, d, "f", store.CreateUnchecked, nil, store.Verifier{}))
	check("create of an existing file", w, false)
	_, _, w = must3(t)(fs.Mkdir(ctx, alice, d, "sub", nil))
	check("mkdir", w, true)
	if w.After.Nlink != w.Before.Nlink+1 {
		t.Errorf("mkdir: nlink %d -> %d", w.Before.Nlink, w.After.Nlink)
	}
	_, _, w = must3(t)(fs.Symlink(ctx, alice, d, "l", "f", nil))
	check("symlink", w, true)
	_, _, w = must3(t)(fs.Mknod(ctx, alice, d, "p", store.TypeFIFO, store.Dev{}, nil))
	check("mknod", w, true)
	_, w, err := fs.Link(ctx, alice, f, d, "f2")
	if err != nil {
		t.Fatal(err)
	}
	check("link", w, true)
	w, w2, err := fs.Rename(ctx, alice, d, "f2", e, "g")
	if err != nil {
		t.Fatal(err)
	}
	check("rename source", w, true)
	check("rename target", w2, true)
	if w, w2, err = fs.Rename(ctx, alice, d, "f", d, "f3"); err != nil {
		t.Fatal(err)
	}
	check("rename within a directory", w, true)
	if w != w2 {
		t.Errorf("rename within one directory: %+v and %+v", w, w2)
	}
	if _, _, err := fs.Link(ctx, alice, f, e, "h"); err != nil {
		t.Fatal(err)
	}
	if w, w2, err = fs.Rename(ctx, alice, e, "g", e, "h"); err != nil {
		t.Fatal(err)
	}
	check("rename onto a link of the same file", w, false)
	if w, err = fs.Remove(ctx, alice, d, "f3"); err != nil {
		t.Fatal(err)
	}
	check("remove", w, true)
	if w, err = fs.Rmdir(ctx, alice, d, "sub"); err != nil {
		t.Fatal(err)
	}
	check("rmdir", w, true)
	if w.After.Nlink != w.Before.Nlink-1 {
		t.Errorf("rmdir: nlink %d -> %d", w.Before.Nlink, w.After.Nlink)
	}
	// A failed operation reports nothing.
	if w, err = fs.Remove(ctx, alice, d, "nope"); err == nil || w != (store.Wcc{}) {
		t.Errorf("failed remove: %v, wcc %+v", err, w)
	}
}

// WRITE and SETATTR report the file's own attributes around the change
// (RFC 1813 §3.3.7 and §3.3.2 file_wcc / obj_wcc), read in the change's
// transaction, and READ the attributes as of the read (post_op_attr,
// §3.3.6): each one call, and exact under concurrent changes.
func TestWccFileOperations(t *testing.T) {
	ctx := context.Background()
	fs := newFS(t, store.Options{})
	f := create(t, fs, alice, fs.Root(), "f", 0o644)
	for _, how := range []store.Stability{store.Unstable, store.FileSync} {
		before, err := fs.GetAttr(ctx, nil, f)
		if err != nil {
			t.Fatal(err)
		}
		n, w, err := fs.WriteAt(ctx, alice, f, []byte("hello"), int64(before.Size), how)
		if err != nil || n != 5 {
			t.Fatal(n, err)
		}
		if w.Before != before {
			t.Errorf("write %d: Before %+v, want %+v", how, w.Before, before)
		}
		if w.After.Size != before.Size+5 || w.After.Change != before.Change+1 {
			t.Errorf("write %d: After size %d change %d, want %d %d", how, w.After.Size, w.After.Change, before.Size+5, before.Change+1)
		}
		if now, _ := fs.GetAttr(ctx, nil, f); now != w.After {
			t.Errorf("write %d: After %+v, the file now %+v", how, w.After, now)
		}
	}
	before, _ := fs.GetAttr(ctx, nil, f)
	w, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetMode | store.SetSize, Mode: 0o600, Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	// A truncation seals the open blocks first, which maps them (Used)
	// without changing the file.
	before.Used = w.Before.Used
	if w.Before != before || w.After.Mode != 0o600 || w.After.Size != 3 || w.After.Change != before.Change+1 {
		t.Errorf("setattr: %+v -> %+v, from %+v", w.Before, w.After, before)
	}
	if now, _ := fs.GetAttr(ctx, nil, f); now != w.After {
		t.Errorf("setattr: After %+v, the file now %+v", w.After, now)
	}
	p := make([]byte, 10)
	n, eof, a, err := fs.ReadAt(ctx, alice, f, p, 0)
	if err != nil || n != 3 || !eof || string(p[:3]) != "hel" {
		t.Fatal(n, eof, err)
	}
	if now, _ := fs.GetAttr(ctx, nil, f); now != a {
		t.Errorf("read: attributes %+v, the file now %+v", a, now)
	}
	if _, _, _, err := fs.ReadAt(ctx, alice, store.Handle{ID: f.ID, Gen: f.Gen + 1}, p, 0); err == nil {
		t.Error("read of a stale handle succeeded")
	}
}

// Concurrent changes of one directory: each reports a step of the
// change counter that no other took, so the steps chain from the first
// counter to the last with no gap and no overlap: the atomicity an
// NFSv4 client trusts when change_info4 says atomic.
func TestWccConcurrent(t *testing.T) {
	ctx := context.Background()
	fs := newFS(t, store.Options{})
	d, _, _ := must3(t)(fs.Mkdir(ctx, alice, fs.Root(), "d", nil))
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
				_, _, w, err := fs.Create(ctx, alice, d, name, store.CreateGuarded, nil, store.Verifier{})
				if err != nil {
					t.Error(err)
					return
				}
				if w.After.Change != w.Before.Change+1 {
					t.Errorf("create: %d -> %d", w.Before.Change, w.After.Change)
				}
				befores <- w.Before.Change
				if w, err = fs.Remove(ctx, alice, d, name); err != nil {
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

func must3(t testing.TB) func(store.Handle, store.Attr, store.Wcc, error) (store.Handle, store.Attr, store.Wcc) {
	return func(h store.Handle, a store.Attr, w store.Wcc, err error) (store.Handle, store.Attr, store.Wcc) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return h, a, w
	}
}

// err1 and err2 return the error of an operation that returns one or two
// more results.
func err1[A any](_ A, err error) error         { return err }
func err2[A, B any](_ A, _ B, err error) error { return err }

// after and afterN return the attributes after the change of SetAttr and
// WriteAt, for tests that want only those.
func after(w store.Wcc, err error) (store.Attr, error) { return w.After, err }
func afterN(n int, w store.Wcc, err error) (int, store.Attr, error) {
	return n, w.After, err
}
