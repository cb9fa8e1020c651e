package store_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// clock is a deterministic clock that advances 1µs per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

func (c *clock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	return time.AfterFunc(d, f)
}

var (
	root  = &store.Cred{UID: 0, GID: 0}
	alice = &store.Cred{UID: 1000, GID: 1000, Groups: []uint32{50}}
	bob   = &store.Cred{UID: 1001, GID: 1001, Groups: []uint32{50}}
	carol = &store.Cred{UID: 1002, GID: 1002}
)

func newFS(t testing.TB, opts store.Options) *store.FS {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = newClock()
	}
	if opts.RootMode == 0 {
		opts.RootMode = 0o777
	}
	fs, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func wantCode(t testing.TB, err error, code store.Code) {
	t.Helper()
	if got := store.CodeOf(err); got != code {
		t.Fatalf("got %v (%v), want code %q", got, err, code)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func mode(m uint32) *store.SetAttr { return &store.SetAttr{Mask: store.SetMode, Mode: m} }

var ctx = context.Background()

func create(t testing.TB, fs *store.FS, c *store.Cred, dir store.Handle, name string, m uint32) store.Handle {
	t.Helper()
	h, _, _, err := fs.Create(ctx, c, dir, name, store.CreateGuarded, mode(m), store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mkdir(t testing.TB, fs *store.FS, c *store.Cred, dir store.Handle, name string, m uint32) store.Handle {
	t.Helper()
	h, _, _, err := fs.Mkdir(ctx, c, dir, name, mode(m))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNamespaceBasics(t *testing.T) {
	fs := newFS(t, store.Options{})
	r := fs.Root()
	a := must[store.Attr](t)(fs.GetAttr(ctx, root, r))
	if a.Type != store.TypeDir || a.Nlink != 2 || a.Mode != 0o777 {
		t.Fatalf("root attr %+v", a)
	}
	d := mkdir(t, fs, alice, r, "d", 0o755)
	f := create(t, fs, alice, d, "f", 0o644)
	h, fa, err := fs.Lookup(ctx, bob, d, "f")
	if err != nil || h != f || fa.UID != alice.UID || fa.GID != alice.GID || fa.Nlink != 1 {
		t.Fatalf("lookup: %v %+v %v", h, fa, err)
	}
	if h, _, _ := fs.Lookup(ctx, bob, d, ".."); h != r {
		t.Fatal("dotdot")
	}
	if h, _, _ := fs.Lookup(ctx, bob, r, ".."); h != r {
		t.Fatal("root dotdot")
	}
	if h, _, _ := fs.Lookup(ctx, bob, d, "."); h != d {
		t.Fatal("dot")
	}
	ra := must[store.Attr](t)(fs.GetAttr(ctx, nil, r))
	if ra.Nlink != 3 {
		t.Fatalf("root nlink %d", ra.Nlink)
	}
	_, _, _, err = fs.Create(ctx, alice, d, "f", store.CreateGuarded, nil, store.Verifier{})
	wantCode(t, err, store.CodeExist)
	h2, _, _, err := fs.Create(ctx, alice, d, "f", store.CreateUnchecked, nil, store.Verifier{})
	if err != nil || h2 != f {
		t.Fatal("unchecked", err)
	}
	// exclusive create with a verifier
	v := store.Verifier{1, 2, 3}
	x1, _, _, err := fs.Create(ctx, alice, d, "x", store.CreateExclusive, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	x2, _, _, err := fs.Create(ctx, alice, d, "x", store.CreateExclusive, nil, v)
	if err != nil || x2 != x1 {
		t.Fatal("retransmitted exclusive create", err)
	}
	_, _, _, err = fs.Create(ctx, alice, d, "x", store.CreateExclusive, nil, store.Verifier{9})
	wantCode(t, err, store.CodeExist)
	_, _, _, err = fs.Create(ctx, alice, d, "f", store.CreateExclusive, nil, v)
	wantCode(t, err, store.CodeExist)

	// symlink, mknod
	s := must[store.Handle](t)(func() (store.Handle, error) {
		h, _, _, err := fs.Symlink(ctx, alice, d, "s", "../target", nil)
		return h, err
	}())
	if tg, err := fs.Readlink(ctx, bob, s); err != nil || tg != "../target" {
		t.Fatal(tg, err)
	}
	_, err = fs.Readlink(ctx, bob, f)
	wantCode(t, err, store.CodeInvalid)
	_, _, _, err = fs.Mknod(ctx, alice, d, "dev", store.TypeChar, store.Dev{1, 3}, nil)
	wantCode(t, err, store.CodePermission)
	_, da, _, err := fs.Mknod(ctx, root, d, "dev", store.TypeChar, store.Dev{1, 3}, nil)
	if err != nil || da.Rdev != (store.Dev{1, 3}) || da.Type != store.TypeChar {
		t.Fatal(da, err)
	}
	if _, _, _, err := fs.Mknod(ctx, alice, d, "fifo", store.TypeFIFO, store.Dev{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := fs.Mknod(ctx, alice, d, "sock", store.TypeSocket, store.Dev{}, nil); err != nil {
		t.Fatal(err)
	}

	// link
	la, _, err := fs.Link(ctx, alice, f, r, "f2")
	if err != nil || la.Nlink != 2 {
		t.Fatal(la, err)
	}
	_, _, err = fs.Link(ctx, alice, d, r, "d2")
	wantCode(t, err, store.CodePermission)

	// remove
	wantCode(t, err1(fs.Remove(ctx, alice, r, "d")), store.CodeIsDir)
	wantCode(t, err1(fs.Rmdir(ctx, alice, r, "d")), store.CodeNotEmpty)
	wantCode(t, err1(fs.Rmdir(ctx, alice, d, "f")), store.CodeNotDir)
	wantCode(t, err1(fs.Remove(ctx, alice, d, "nope")), store.CodeNotExist)
	if _, err := fs.Remove(ctx, alice, d, "f"); err != nil {
		t.Fatal(err)
	}
	fa = must[store.Attr](t)(fs.GetAttr(ctx, nil, f))
	if fa.Nlink != 1 {
		t.Fatal("nlink after unlink", fa.Nlink)
	}
	if _, err := fs.Remove(ctx, alice, r, "f2"); err != nil {
		t.Fatal(err)
	}
	_, err = fs.GetAttr(ctx, nil, f)
	wantCode(t, err, store.CodeStale)
	_, err = fs.Resolve(ctx, f.ID, f.Gen)
	wantCode(t, err, store.CodeStale)
	_, err = fs.Resolve(ctx, d.ID, d.Gen+1)
	wantCode(t, err, store.CodeStale)
	for _, n := range []string{"x", "s", "dev", "fifo", "sock"} {
		if _, err := fs.Remove(ctx, alice, d, n); err != nil {
			t.Fatal(n, err)
		}
	}
	if _, err := fs.Rmdir(ctx, alice, r, "d"); err != nil {
		t.Fatal(err)
	}
	ra = must[store.Attr](t)(fs.GetAttr(ctx, nil, r))
	if ra.Nlink != 2 {
		t.Fatalf("root nlink %d", ra.Nlink)
	}
	checkFS(t, fs)
}

func checkFS(t testing.TB, fs *store.FS) {
	t.Helper()
	rep, err := fs.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("fsck: %d problems: %q", len(rep.Problems), rep.Problems)
	}
}

func TestNames(t *testing.T) {
	fs := newFS(t, store.Options{ValidateUTF8: true})
	r := fs.Root()
	long := string(bytes.Repeat([]byte("a"), 256))
	for _, tc := range []struct {
		name string
		code store.Code
	}{
		{"", store.CodeInvalid},
		{".", store.CodeInvalid},
		{"..", store.CodeInvalid},
		{"a/b", store.CodeInvalid},
		{"a\x00b", store.CodeInvalid},
		{"\xff\xfe", store.CodeInvalid},
		{long, store.CodeNameTooLong},
	} {
		_, _, _, err := fs.Create(ctx, alice, r, tc.name, store.CreateGuarded, nil, store.Verifier{})
		wantCode(t, err, tc.code)
		_, _, _, err = fs.Mkdir(ctx, alice, r, tc.name, nil)
		wantCode(t, err, tc.code)
		wantCode(t, err1(fs.Remove(ctx, alice, r, tc.name)), tc.code)
		wantCode(t, err2(fs.Rename(ctx, alice, r, tc.name, r, "ok")), tc.code)
	}
	if _, _, _, err := fs.Create(ctx, alice, r, long[:255], store.CreateGuarded, nil, store.Verifier{}); err != nil {
		t.Fatal(err)
	}
	_, _, err := fs.Lookup(ctx, alice, r, long)
	wantCode(t, err, store.CodeNameTooLong)
	_, _, _, err = fs.Symlink(ctx, alice, r, "s", string(bytes.Repeat([]byte("a"), 4096)), nil)
	wantCode(t, err, store.CodeNameTooLong)
	_, _, _, err = fs.Symlink(ctx, alice, r, "s", "", nil)
	wantCode(t, err, store.CodeInvalid)
	_, _, _, err = fs.Create(ctx, nil, r, "n", store.CreateGuarded, nil, store.Verifier{})
	wantCode(t, err, store.CodeInvalid)
}

func TestPermissions(t *testing.T) {
	fs := newFS(t, store.Options{})
	r := fs.Root()
	d := mkdir(t, fs, alice, r, "d", 0o750)
	f := create(t, fs, alice, d, "f", 0o640)
	// bob is in group 50 but d's group is alice's 1000
	_, _, err := fs.Lookup(ctx, bob, d, "f")
	wantCode(t, err, store.CodeAccess)
	if _, err := fs.SetAttr(ctx, alice, d, &store.SetAttr{Mask: store.SetGID, GID: 50}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.Lookup(ctx, bob, d, "f"); err != nil {
		t.Fatal(err)
	}
	_, _, err = fs.Lookup(ctx, carol, d, "f")
	wantCode(t, err, store.CodeAccess)
	_, err = fs.SetAttr(ctx, alice, d, &store.SetAttr{Mask: store.SetGID, GID: 1001})
	wantCode(t, err, store.CodePermission)
	_, err = fs.SetAttr(ctx, alice, d, &store.SetAttr{Mask: store.SetUID, UID: 1001})
	wantCode(t, err, store.CodePermission)
	_, err = fs.SetAttr(ctx, bob, f, &store.SetAttr{Mask: store.SetMode, Mode: 0o777})
	wantCode(t, err, store.CodePermission)
	if _, err := fs.SetAttr(ctx, root, f, &store.SetAttr{Mask: store.SetUID | store.SetGID, UID: 1001, GID: 50}); err != nil {
		t.Fatal(err)
	}
	// group write needed in d for bob to create
	_, _, _, err = fs.Create(ctx, bob, d, "g", store.CreateGuarded, nil, store.Verifier{})
	wantCode(t, err, store.CodeAccess)
	// access
	g, _, err := fs.Access(ctx, bob, d, store.AccessRead|store.AccessWrite|store.AccessExec)
	if err != nil || g != store.AccessRead|store.AccessExec {
		t.Fatal(g, err)
	}
	g, _, _ = fs.Access(ctx, root, f, 7)
	if g != store.AccessRead|store.AccessWrite {
		t.Fatal("root exec of a non-executable file", g)
	}

	// sticky directory
	tmp := mkdir(t, fs, root, r, "tmp", 0o1777)
	create(t, fs, alice, tmp, "a", 0o666)
	wantCode(t, err1(fs.Remove(ctx, bob, tmp, "a")), store.CodePermission)
	wantCode(t, err2(fs.Rename(ctx, bob, tmp, "a", tmp, "b")), store.CodePermission)
	create(t, fs, bob, tmp, "b", 0o666)
	wantCode(t, err2(fs.Rename(ctx, alice, tmp, "a", tmp, "b")), store.CodePermission)
	if _, err := fs.Remove(ctx, alice, tmp, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Remove(ctx, root, tmp, "b"); err != nil {
		t.Fatal(err)
	}

	// setgid inheritance
	sg := mkdir(t, fs, root, r, "sg", 0o2777)
	if _, err := fs.SetAttr(ctx, root, sg, &store.SetAttr{Mask: store.SetGID, GID: 77}); err != nil {
		t.Fatal(err)
	}
	sa := must[store.Attr](t)(fs.GetAttr(ctx, nil, sg))
	if sa.Mode&store.ModeSetgid == 0 {
		t.Fatal("chgrp of a directory cleared setgid")
	}
	_, ca, _, err := fs.Mkdir(ctx, alice, sg, "sub", mode(0o755))
	if err != nil || ca.GID != 77 || ca.Mode&store.ModeSetgid == 0 {
		t.Fatalf("setgid dir inheritance %+v %v", ca, err)
	}
	_, ca, _, err = fs.Create(ctx, alice, sg, "file", store.CreateGuarded, mode(0o2755), store.Verifier{})
	if err != nil || ca.GID != 77 || ca.Mode&store.ModeSetgid != 0 {
		t.Fatalf("setgid file in a group alice is not in %+v %v", ca, err)
	}

	// times: explicit needs owner, "now" needs write permission
	ff := create(t, fs, alice, r, "times", 0o666)
	_, err = fs.SetAttr(ctx, bob, ff, &store.SetAttr{Mask: store.SetMtime, Mtime: 5})
	wantCode(t, err, store.CodePermission)
	if _, err := fs.SetAttr(ctx, bob, ff, &store.SetAttr{Mask: store.SetMtimeNow | store.SetAtimeNow}); err != nil {
		t.Fatal(err)
	}
	a, err := after(fs.SetAttr(ctx, alice, ff, &store.SetAttr{Mask: store.SetMtime | store.SetAtime, Mtime: 5, Atime: 6}))
	if err != nil || a.Mtime != 5 || a.Atime != 6 {
		t.Fatal(a, err)
	}
	ro := create(t, fs, alice, r, "ro", 0o644)
	_, err = fs.SetAttr(ctx, bob, ro, &store.SetAttr{Mask: store.SetMtimeNow})
	wantCode(t, err, store.CodeAccess)

	// ctime guard
	_, err = fs.SetAttr(ctx, alice, ro, &store.SetAttr{Mask: store.SetMode | store.SetCtimeGuard, Mode: 0o600, Guard: 1})
	wantCode(t, err, store.CodeNotSync)
	a = must[store.Attr](t)(fs.GetAttr(ctx, nil, ro))
	if _, err := fs.SetAttr(ctx, alice, ro, &store.SetAttr{Mask: store.SetMode | store.SetCtimeGuard, Mode: 0o600, Guard: a.Ctime}); err != nil {
		t.Fatal(err)
	}

	// root policy
	fs2 := newFS(t, store.Options{Root: store.RootOrdinary})
	p := create(t, fs2, alice, fs2.Root(), "p", 0o600)
	_, _, _, err = fs2.ReadAt(ctx, root, p, make([]byte, 1), 0)
	wantCode(t, err, store.CodeAccess)
	if _, _, _, err := fs.ReadAt(ctx, root, f, make([]byte, 1), 0); err != nil {
		t.Fatal(err)
	}
	checkFS(t, fs)
}

func TestRename(t *testing.T) {
	fs := newFS(t, store.Options{})
	r := fs.Root()
	a := mkdir(t, fs, alice, r, "a", 0o755)
	b := mkdir(t, fs, alice, a, "b", 0o755)
	c := mkdir(t, fs, alice, b, "c", 0o755)
	_ = c
	wantCode(t, err2(fs.Rename(ctx, alice, r, "a", b, "a")), store.CodeInvalid)
	wantCode(t, err2(fs.Rename(ctx, alice, r, "a", a, "x")), store.CodeInvalid)
	f := create(t, fs, alice, r, "f", 0o644)
	wantCode(t, err2(fs.Rename(ctx, alice, r, "f", a, "b")), store.CodeIsDir)
	create(t, fs, alice, r, "g", 0o644)
	wantCode(t, err2(fs.Rename(ctx, alice, a, "b", r, "g")), store.CodeNotDir)
	wantCode(t, err2(fs.Rename(ctx, alice, r, "a", r, "nope/")), store.CodeInvalid)
	mkdir(t, fs, alice, r, "e", 0o755)
	wantCode(t, err2(fs.Rename(ctx, alice, r, "e", a, "b")), store.CodeNotEmpty)
	// move a directory: nlinks follow
	if _, _, err := fs.Rename(ctx, alice, a, "b", r, "e"); err != nil {
		t.Fatal(err)
	}
	if h, _, err := fs.Lookup(ctx, alice, r, "e"); err != nil || h != b {
		t.Fatal(h, err)
	}
	if h, _, _ := fs.Lookup(ctx, alice, b, ".."); h != r {
		t.Fatal("parent not updated")
	}
	aa := must[store.Attr](t)(fs.GetAttr(ctx, nil, a))
	ra := must[store.Attr](t)(fs.GetAttr(ctx, nil, r))
	if aa.Nlink != 2 || ra.Nlink != 4 {
		t.Fatalf("nlinks a=%d root=%d", aa.Nlink, ra.Nlink)
	}
	// replace a file; hard links to the same file are a no-op
	if _, _, err := fs.Rename(ctx, alice, r, "f", r, "g"); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := fs.Lookup(ctx, alice, r, "g"); h != f {
		t.Fatal("not replaced")
	}
	if _, _, err := fs.Link(ctx, alice, f, a, "f"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.Rename(ctx, alice, r, "g", a, "f"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.Lookup(ctx, alice, r, "g"); err != nil {
		t.Fatal("same-node rename removed the source", err)
	}
	if _, _, err := fs.Rename(ctx, alice, r, "g", r, "g"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, err2(fs.Rename(ctx, alice, r, "zz", r, "yy")), store.CodeNotExist)
	checkFS(t, fs)
}

func TestReadWrite(t *testing.T) {
	for _, bs := range []int{512, 4096, 1 << 20} {
		fs := newFS(t, store.Options{BlockSize: bs, BufferBytes: 64 << 10})
		r := fs.Root()
		f := create(t, fs, alice, r, "f", 0o644)
		rnd := rand.New(rand.NewPCG(1, uint64(bs)))
		var model []byte
		for i := 0; i < 300; i++ {
			off := rnd.IntN(20000)
			n := rnd.IntN(3000)
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(rnd.Uint32())
			}
			how := store.Stability(rnd.IntN(3))
			if _, _, err := fs.WriteAt(ctx, alice, f, p, int64(off), how); err != nil {
				t.Fatal(err)
			}
			if off+n > len(model) && n > 0 {
				model = append(model, make([]byte, off+n-len(model))...)
			}
			copy(model[off:], p)
			if rnd.IntN(10) == 0 {
				if _, err := fs.Commit(ctx, alice, f); err != nil {
					t.Fatal(err)
				}
			}
			if rnd.IntN(20) == 0 {
				sz := rnd.IntN(25000)
				if _, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: uint64(sz)}); err != nil {
					t.Fatal(err)
				}
				if sz < len(model) {
					model = model[:sz]
				} else {
					model = append(model, make([]byte, sz-len(model))...)
				}
			}
			got := make([]byte, len(model)+10)
			n2, eof, _, err := fs.ReadAt(ctx, alice, f, got, 0)
			if err != nil || n2 != len(model) || !eof || !bytes.Equal(got[:n2], model) {
				t.Fatalf("bs %d step %d: read %d eof=%v err=%v, want %d", bs, i, n2, eof, err, len(model))
			}
			a := must[store.Attr](t)(fs.GetAttr(ctx, nil, f))
			if a.Size != uint64(len(model)) {
				t.Fatalf("size %d want %d", a.Size, len(model))
			}
		}
		// partial reads
		got := make([]byte, 100)
		n, eof, _, err := fs.ReadAt(ctx, alice, f, got, int64(len(model)-50))
		if err != nil || n != 50 || !eof || !bytes.Equal(got[:n], model[len(model)-50:]) {
			t.Fatal(n, eof, err)
		}
		n, eof, _, err = fs.ReadAt(ctx, alice, f, got, int64(len(model)+50))
		if err != nil || n != 0 || !eof {
			t.Fatal(n, eof, err)
		}
		checkFS(t, fs)
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	fs := newFS(t, store.Options{MaxFileSize: 1 << 20})
	r := fs.Root()
	f := create(t, fs, alice, r, "f", 0o644)
	_, _, err := fs.WriteAt(ctx, alice, f, []byte("x"), 1<<20, store.Unstable)
	wantCode(t, err, store.CodeTooBig)
	_, _, err = fs.WriteAt(ctx, alice, f, []byte("x"), -1, store.Unstable)
	wantCode(t, err, store.CodeInvalid)
	_, _, err = fs.WriteAt(ctx, bob, f, []byte("x"), 0, store.Unstable)
	wantCode(t, err, store.CodeAccess)
	_, _, err = fs.WriteAt(ctx, alice, r, []byte("x"), 0, store.Unstable)
	wantCode(t, err, store.CodeIsDir)
	_, err = fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: 1<<20 + 1})
	wantCode(t, err, store.CodeTooBig)
	_, err = fs.SetAttr(ctx, alice, r, &store.SetAttr{Mask: store.SetSize, Size: 0})
	wantCode(t, err, store.CodeIsDir)
	// setuid is cleared by a write of someone else
	if _, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetMode, Mode: 0o4777}); err != nil {
		t.Fatal(err)
	}
	_, a, err := afterN(fs.WriteAt(ctx, bob, f, []byte("x"), 0, store.Unstable))
	if err != nil || a.Mode != 0o777 {
		t.Fatalf("%o %v", a.Mode, err)
	}
	// owner override
	fs2 := newFS(t, store.Options{OwnerOverride: true})
	g := create(t, fs2, alice, fs2.Root(), "g", 0o444)
	if _, _, err := fs2.WriteAt(ctx, alice, g, []byte("x"), 0, store.FileSync); err != nil {
		t.Fatal(err)
	}
	_, _, err = fs2.WriteAt(ctx, bob, g, []byte("x"), 0, store.FileSync)
	wantCode(t, err, store.CodeAccess)
}

func TestDedupAndRefcounts(t *testing.T) {
	blocks := memory.NewBlocks()
	fs, err := store.NewFS(memory.NewMetadata(), blocks, store.Options{BlockSize: 4096, Clock: newClock(), RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	r := fs.Root()
	p := bytes.Repeat([]byte("0123456789abcdef"), 4096/16*4)
	for _, n := range []string{"a", "b", "c"} {
		h := create(t, fs, alice, r, n, 0o644)
		if _, _, err := fs.WriteAt(ctx, alice, h, p, 0, store.FileSync); err != nil {
			t.Fatal(err)
		}
	}
	if blocks.Len() != 1 {
		t.Fatalf("%d blocks, want 1 (dedup)", blocks.Len())
	}
	st := fs.FsStat(ctx)
	if st.UsedBytes != 4096 {
		t.Fatalf("used %d", st.UsedBytes)
	}
	checkFS(t, fs)
	for _, n := range []string{"a", "b", "c"} {
		if _, err := fs.Remove(ctx, alice, r, n); err != nil {
			t.Fatal(err)
		}
	}
	if blocks.Len() != 0 {
		t.Fatalf("%d blocks left", blocks.Len())
	}
	checkFS(t, fs)
	// a stray block is collected
	if err := blocks.Put(ctx, store.BlockID{7}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	gs, err := fs.GC(ctx)
	if err != nil || gs.Deleted != 1 || blocks.Len() != 0 {
		t.Fatal(gs, err)
	}
}

func TestConcurrentOps(t *testing.T) {
	fs := newFS(t, store.Options{BlockSize: 4096})
	r := fs.Root()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			d, _, _, err := fs.Mkdir(ctx, alice, r, string(rune('a'+w)), nil)
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < 50; i++ {
				h, _, _, err := fs.Create(ctx, alice, d, "f", store.CreateUnchecked, nil, store.Verifier{})
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := fs.WriteAt(ctx, alice, h, bytes.Repeat([]byte{byte(i)}, 5000), int64(i*100), store.Unstable); err != nil {
					t.Error(err)
				}
				if i%7 == 0 {
					if _, err := fs.Remove(ctx, alice, d, "f"); err != nil {
						t.Error(err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	if err := fs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	checkFS(t, fs)
}

func TestCorruptRecords(t *testing.T) {
	meta := memory.NewMetadata()
	fs, err := store.NewFS(meta, memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	f := create(t, fs, alice, fs.Root(), "f", 0o644)
	// corrupt the node record of f and its entry
	err = meta.Update(ctx, func(tx store.Tx) error {
		k := append([]byte{'n'}, be64(f.ID)...)
		return tx.Put(k, []byte("garbage"))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.GetAttr(ctx, nil, f)
	wantCode(t, err, store.CodeIO)
	_, _, err = fs.Lookup(ctx, alice, fs.Root(), "f")
	wantCode(t, err, store.CodeIO)
	rep, err := fs.Check(ctx)
	if err != nil || len(rep.Problems) == 0 {
		t.Fatal("fsck missed a corrupt node", rep, err)
	}
	var e *store.Error
	if !errors.As(err, &e) && err != nil {
		t.Fatal(err)
	}
}

func be64(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}
