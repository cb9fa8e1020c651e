package store_test

import (
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
)

// events reads a Watcher in tests.
type events struct {
	t   testing.TB
	w   *store.Watcher
	buf []store.Event
}

func watch(t testing.TB, fs *store.FS, dir store.Handle, opts store.WatchOptions) *events {
	t.Helper()
	w, err := fs.Watch(ctx, alice, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return &events{t: t, w: w}
}

// next returns the next event. Delivery is asynchronous (a dispatcher
// goroutine); the deadline only turns a missing event into a failure
// instead of a hang.
func (e *events) next() store.Event {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for len(e.buf) == 0 {
		e.buf = e.w.Take(e.buf)
		if len(e.buf) > 0 {
			break
		}
		select {
		case <-e.w.Ready():
		case <-deadline:
			e.t.Fatal("no event")
		}
	}
	ev := e.buf[0]
	e.buf = e.buf[1:]
	return ev
}

func (e *events) want(a store.Action, ch store.Change, name string) store.Event {
	e.t.Helper()
	ev := e.next()
	if ev.Action != a || ev.Changes != ch || ev.Name != name {
		e.t.Fatalf("event %d %#x %q, want %d %#x %q", ev.Action, ev.Changes, ev.Name, a, ch, name)
	}
	return ev
}

// barrier makes a change the watcher reports and checks that it is the
// next event: every event of a change made before it has been delivered
// by then (one dispatcher, in order), so what was not seen was not sent.
func (e *events) barrier(fs *store.FS, dir store.Handle) {
	e.t.Helper()
	create(e.t, fs, alice, dir, "barrier", 0o644)
	e.want(store.ActionAdded, store.ChangeFileName, "barrier")
	if _, err := fs.Remove(ctx, alice, dir, "barrier"); err != nil {
		e.t.Fatal(err)
	}
	e.want(store.ActionRemoved, store.ChangeFileName, "barrier")
}

// quiet checks, with a barrier, that no other event is waiting.
func (e *events) quiet(fs *store.FS, dir store.Handle) {
	e.t.Helper()
	e.barrier(fs, dir)
	if rest := e.w.Take(nil); len(rest) != 0 {
		e.t.Fatalf("unexpected events %+v", rest)
	}
}

// TestWatchEveryMutation checks that every mutating call of FS reports
// the entry and the change (MS-FSCC §2.7.1 actions, MS-SMB2 §2.2.35
// filter bits).
func TestWatchEveryMutation(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	other := mkdir(t, fs, alice, fs.Root(), "other", 0o755)
	ev := watch(t, fs, d, store.WatchOptions{})

	f := create(t, fs, alice, d, "f", 0o644)
	if got := ev.want(store.ActionAdded, store.ChangeFileName, "f"); got.Node != f {
		t.Fatalf("node %v, want %v", got.Node, f)
	}
	sub := mkdir(t, fs, alice, d, "sub", 0o755)
	ev.want(store.ActionAdded, store.ChangeDirName, "sub")
	must[store.Handle](t)(func() (store.Handle, error) {
		h, _, _, err := fs.Symlink(ctx, alice, d, "ln", "f", nil)
		return h, err
	}())
	ev.want(store.ActionAdded, store.ChangeFileName, "ln")
	must[store.Handle](t)(func() (store.Handle, error) {
		h, _, _, err := fs.Mknod(ctx, alice, d, "fifo", store.TypeFIFO, store.Dev{}, nil)
		return h, err
	}())
	ev.want(store.ActionAdded, store.ChangeFileName, "fifo")

	// data: a write inside the file changes mtime, past the end size too
	if _, _, err := fs.WriteAt(ctx, alice, f, []byte("hello"), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeLastWrite|store.ChangeSize, "f")
	if _, _, err := fs.WriteAt(ctx, alice, f, []byte("j"), 0, store.FileSync); err != nil {
		t.Fatal(err) // a small stable write: the logged path
	}
	ev.want(store.ActionModified, store.ChangeLastWrite, "f")
	ev.barrier(fs, d)
	if _, err := fs.Allocate(ctx, alice, f, 0, 100); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeSize|store.ChangeLastWrite, "f")
	if _, err := fs.Deallocate(ctx, alice, f, 0, 10); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeLastWrite, "f")
	ev.barrier(fs, d)
	g := create(t, fs, alice, other, "g", 0o644)
	if _, _, err := fs.Copy(ctx, alice, f, 0, g, 0, 0); err != nil {
		t.Fatal(err) // the copy's target is not in d: nothing
	}
	if _, err := fs.Clone(ctx, alice, g, 0, f, 200, 100); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeLastWrite|store.ChangeSize, "f")
	ev.barrier(fs, d)

	// attributes
	for _, c := range []struct {
		sa   store.SetAttr
		want store.Change
	}{
		{store.SetAttr{Mask: store.SetMode, Mode: 0o600}, store.ChangeAttributes | store.ChangeSecurity},
		{store.SetAttr{Mask: store.SetGID, GID: 50}, store.ChangeSecurity},
		{store.SetAttr{Mask: store.SetSize, Size: 3}, store.ChangeSize | store.ChangeLastWrite},
		{store.SetAttr{Mask: store.SetAtime, Atime: 5}, store.ChangeLastAccess},
		{store.SetAttr{Mask: store.SetMtimeNow}, store.ChangeLastWrite},
		{store.SetAttr{Mask: store.SetBtime, Btime: 7}, store.ChangeCreation},
	} {
		if _, err := fs.SetAttr(ctx, alice, f, &c.sa); err != nil {
			t.Fatal(err)
		}
		ev.want(store.ActionModified, c.want, "f")
		ev.barrier(fs, d) // no merging with the next one
	}
	// a directory's own attributes are reported under its name
	if _, err := fs.SetAttr(ctx, alice, sub, mode(0o700)); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeAttributes|store.ChangeSecurity, "sub")

	// xattrs
	if err := fs.SetXattr(ctx, alice, f, "user.a", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeEA, "f")
	ev.barrier(fs, d)
	if err := fs.RemoveXattr(ctx, alice, f, "user.a"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeEA, "f")

	// links: the newest link is the name changes are reported under
	if _, _, err := fs.Link(ctx, alice, f, d, "f2"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionAdded, store.ChangeFileName, "f2")
	if _, _, err := fs.WriteAt(ctx, alice, f, []byte("x"), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeLastWrite, "f2")

	// rename within d, then replacing an existing name
	if _, _, err := fs.Rename(ctx, alice, d, "f2", d, "f3"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionRenamedOld, store.ChangeFileName, "f2")
	ev.want(store.ActionRenamedNew, store.ChangeFileName, "f3")
	if _, _, err := fs.Rename(ctx, alice, d, "ln", d, "fifo"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionRemoved, store.ChangeFileName, "fifo")
	ev.want(store.ActionRenamedOld, store.ChangeFileName, "ln")
	ev.want(store.ActionRenamedNew, store.ChangeFileName, "fifo")

	// across directories: removed here, added there (MS-FSCC §2.7.1)
	evo := watch(t, fs, other, store.WatchOptions{})
	if _, _, err := fs.Rename(ctx, alice, d, "f3", other, "moved"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionRemoved, store.ChangeFileName, "f3")
	evo.want(store.ActionAdded, store.ChangeFileName, "moved")
	if _, _, err := fs.Rename(ctx, alice, other, "moved", d, "back"); err != nil {
		t.Fatal(err)
	}
	evo.want(store.ActionRemoved, store.ChangeFileName, "moved")
	ev.want(store.ActionAdded, store.ChangeFileName, "back")

	// removing
	if _, err := fs.Remove(ctx, alice, d, "f"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionRemoved, store.ChangeFileName, "f")
	if _, err := fs.Rmdir(ctx, alice, d, "sub"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionRemoved, store.ChangeDirName, "sub")
	ev.quiet(fs, d)
}

// TestWatchNotify: Notify reports a change the store does not keep to
// the watchers of the node's directory, and fails on a stale handle.
func TestWatchNotify(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	f := create(t, fs, alice, d, "f", 0o644)
	if err := fs.Notify(ctx, f, store.ChangeAttributes); err != nil {
		t.Fatal(err) // nobody watches: nothing to do
	}
	ev := watch(t, fs, d, store.WatchOptions{})
	if err := fs.Notify(ctx, f, store.ChangeAttributes); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionModified, store.ChangeAttributes, "f")
	if _, err := fs.Remove(ctx, alice, d, "f"); err != nil {
		t.Fatal(err)
	}
	ev.want(store.ActionRemoved, store.ChangeFileName, "f")
	wantCode(t, fs.Notify(ctx, f, store.ChangeAttributes), store.CodeStale)
}

// TestWatchNameAtChange: a change is reported under the name the file had
// when it was made, even when the file is renamed before the event is
// delivered (the rename's events follow).
func TestWatchNameAtChange(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	ev := watch(t, fs, d, store.WatchOptions{})
	for i := range 20 {
		f := create(t, fs, alice, d, "f", 0o644)
		if _, _, err := fs.WriteAt(ctx, alice, f, []byte("x"), 0, store.Unstable); err != nil {
			t.Fatal(err)
		}
		if _, _, err := fs.Rename(ctx, alice, d, "f", d, "g"); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Remove(ctx, alice, d, "g"); err != nil {
			t.Fatal(err)
		}
		ev.want(store.ActionAdded, store.ChangeFileName, "f")
		ev.want(store.ActionModified, store.ChangeLastWrite|store.ChangeSize, "f")
		ev.want(store.ActionRenamedOld, store.ChangeFileName, "f")
		ev.want(store.ActionRenamedNew, store.ChangeFileName, "g")
		ev.want(store.ActionRemoved, store.ChangeFileName, "g")
		_ = i
	}
}

// TestWatchFailedMutation: a change that fails is not reported.
func TestWatchFailedMutation(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	f := create(t, fs, alice, d, "f", 0o644)
	ev := watch(t, fs, d, store.WatchOptions{})
	if _, _, _, err := fs.Create(ctx, alice, d, "f", store.CreateGuarded, nil, store.Verifier{}); err == nil {
		t.Fatal("guarded create of an existing name succeeded")
	}
	if _, err := fs.SetAttr(ctx, bob, f, mode(0o777)); err == nil {
		t.Fatal("chmod by another user succeeded")
	}
	if _, _, err := fs.WriteAt(ctx, bob, f, []byte("x"), 0, store.Unstable); err == nil {
		t.Fatal("write without permission succeeded")
	}
	ev.quiet(fs, d)
}

// TestWatchFilter: only the changes of the filter are reported
// (MS-SMB2 §2.2.35 CompletionFilter).
func TestWatchFilter(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	f := create(t, fs, alice, d, "f", 0o644)
	ev := watch(t, fs, d, store.WatchOptions{Filter: store.ChangeFileName | store.ChangeSize})
	mkdir(t, fs, alice, d, "sub", 0o755) // DirName: filtered out
	if _, err := fs.SetAttr(ctx, alice, f, mode(0o600)); err != nil {
		t.Fatal(err) // Attributes: filtered out
	}
	if _, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: 9}); err != nil {
		t.Fatal(err)
	}
	// the event keeps every change it made, the filter only selects it
	ev.want(store.ActionModified, store.ChangeSize|store.ChangeLastWrite, "f")
	ev.quiet(fs, d)
}

// TestWatchTree: a tree watch reports changes anywhere below, with the
// path from the watched directory; a plain watch only its own entries.
func TestWatchTree(t *testing.T) {
	fs := newFS(t, store.Options{})
	top := mkdir(t, fs, alice, fs.Root(), "top", 0o755)
	a := mkdir(t, fs, alice, top, "a", 0o755)
	b := mkdir(t, fs, alice, a, "b", 0o755)
	tree := watch(t, fs, top, store.WatchOptions{Tree: true})
	flat := watch(t, fs, top, store.WatchOptions{})
	mid := watch(t, fs, a, store.WatchOptions{Tree: true})

	f := create(t, fs, alice, b, "deep", 0o644)
	tree.want(store.ActionAdded, store.ChangeFileName, "a/b/deep")
	mid.want(store.ActionAdded, store.ChangeFileName, "b/deep")
	if _, _, err := fs.WriteAt(ctx, alice, f, []byte("x"), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	tree.want(store.ActionModified, store.ChangeLastWrite|store.ChangeSize, "a/b/deep")
	mid.want(store.ActionModified, store.ChangeLastWrite|store.ChangeSize, "b/deep")
	// a renamed directory: later paths use the new name
	if _, _, err := fs.Rename(ctx, alice, a, "b", a, "c"); err != nil {
		t.Fatal(err)
	}
	tree.want(store.ActionRenamedOld, store.ChangeDirName, "a/b")
	tree.want(store.ActionRenamedNew, store.ChangeDirName, "a/c")
	mid.want(store.ActionRenamedOld, store.ChangeDirName, "b")
	mid.want(store.ActionRenamedNew, store.ChangeDirName, "c")
	if _, err := fs.Remove(ctx, alice, b, "deep"); err != nil {
		t.Fatal(err)
	}
	tree.want(store.ActionRemoved, store.ChangeFileName, "a/c/deep")
	mid.want(store.ActionRemoved, store.ChangeFileName, "c/deep")
	// the plain watch saw nothing of that
	flat.quiet(fs, top)
	tree.want(store.ActionAdded, store.ChangeFileName, "barrier")
	tree.want(store.ActionRemoved, store.ChangeFileName, "barrier")
}

// TestWatchOverflow: a full buffer drops the events and reports one
// overflow; the watcher works again after Take.
func TestWatchOverflow(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	w, err := fs.Watch(ctx, alice, d, store.WatchOptions{Buffer: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// a second watcher, never full, tells when the dispatcher is done
	ev := watch(t, fs, d, store.WatchOptions{})
	for i := range 10 {
		create(t, fs, alice, d, string(rune('a'+i)), 0o644)
	}
	for i := range 10 {
		ev.want(store.ActionAdded, store.ChangeFileName, string(rune('a'+i)))
	}
	got := w.Take(nil)
	if len(got) != 1 || got[0].Action != store.ActionOverflow || got[0].Name != "" {
		t.Fatalf("got %+v, want one overflow", got)
	}
	create(t, fs, alice, d, "z", 0o644)
	ev.want(store.ActionAdded, store.ChangeFileName, "z")
	got = w.Take(nil)
	if len(got) != 1 || got[0].Action != store.ActionAdded || got[0].Name != "z" {
		t.Fatalf("after overflow got %+v", got)
	}
}

// TestWatchMergesWrites: a stream of writes is one event.
func TestWatchMergesWrites(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	f := create(t, fs, alice, d, "f", 0o644)
	w, err := fs.Watch(ctx, alice, d, store.WatchOptions{Buffer: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ev := watch(t, fs, d, store.WatchOptions{})
	for i := range 100 {
		if _, _, err := fs.WriteAt(ctx, alice, f, []byte("x"), int64(i), store.Unstable); err != nil {
			t.Fatal(err)
		}
	}
	// the second watcher was read meanwhile, so its writes may be split:
	// skip to the barrier
	create(t, fs, alice, d, "barrier", 0o644)
	for e := ev.next(); e.Name != "barrier"; e = ev.next() {
	}
	got := w.Take(nil)
	if len(got) != 2 || got[0].Action != store.ActionModified || got[0].Changes != store.ChangeLastWrite|store.ChangeSize ||
		got[1].Name != "barrier" {
		t.Fatalf("got %+v", got)
	}
}

// TestWatchClose: a closed watcher gets nothing more, and the watched
// directory's removal is reported to its own watchers with an empty name.
func TestWatchClose(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	w, err := fs.Watch(ctx, alice, d, store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	self := watch(t, fs, d, store.WatchOptions{})
	w.Close()
	w.Close() // idempotent
	create(t, fs, alice, d, "f", 0o644)
	self.want(store.ActionAdded, store.ChangeFileName, "f")
	if got := w.Take(nil); len(got) != 0 {
		t.Fatalf("closed watcher got %+v", got)
	}
	if _, err := fs.Remove(ctx, alice, d, "f"); err != nil {
		t.Fatal(err)
	}
	self.want(store.ActionRemoved, store.ChangeFileName, "f")
	if _, err := fs.Rmdir(ctx, alice, fs.Root(), "d"); err != nil {
		t.Fatal(err)
	}
	if got := self.next(); got.Action != store.ActionRemoved || got.Name != "" || got.Node != d {
		t.Fatalf("removal of the watched directory: %+v", got)
	}
}

// TestWatchErrors: only directories are watched, with search permission.
func TestWatchErrors(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o700)
	f := create(t, fs, alice, d, "f", 0o644)
	_, err := fs.Watch(ctx, alice, f, store.WatchOptions{})
	wantCode(t, err, store.CodeNotDir)
	_, err = fs.Watch(ctx, bob, d, store.WatchOptions{})
	wantCode(t, err, store.CodeAccess)
	fs.Close()
	_, err = fs.Watch(ctx, alice, d, store.WatchOptions{})
	if err == nil {
		t.Fatal("watch after Close succeeded")
	}
}

// TestWatchNoAllocs: with nobody watching, a write allocates as much as it
// did before watchers existed, also after a watcher came and went.
func TestWatchNoAllocs(t *testing.T) {
	fs := newFS(t, store.Options{})
	f := create(t, fs, alice, fs.Root(), "f", 0o644)
	p := make([]byte, 512)
	write := func() {
		if _, _, err := fs.WriteAt(ctx, alice, f, p, 0, store.Unstable); err != nil {
			t.Fatal(err)
		}
	}
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector (sync.Pool drops items)")
	}
	write()
	before := testing.AllocsPerRun(200, write)
	w, err := fs.Watch(ctx, alice, fs.Root(), store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	after := testing.AllocsPerRun(200, write)
	if after != before {
		t.Fatalf("write allocates %v after a watcher came and went, %v before", after, before)
	}
	if before > 0 {
		t.Logf("a write allocates %v times", before)
	}
}

// TestWatchConcurrent runs mutations and watchers together (for -race).
func TestWatchConcurrent(t *testing.T) {
	fs := newFS(t, store.Options{})
	d := mkdir(t, fs, alice, fs.Root(), "d", 0o755)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			w, err := fs.Watch(ctx, alice, d, store.WatchOptions{Tree: i%2 == 0, Buffer: 8})
			if err != nil {
				t.Error(err)
				return
			}
			w.Take(nil)
			w.Close()
		}
	}()
	ev := watch(t, fs, d, store.WatchOptions{Buffer: 1 << 12})
	for i := range 50 {
		name := string(rune('a' + i%26))
		h := create(t, fs, alice, d, name, 0o644)
		if _, _, err := fs.WriteAt(ctx, alice, h, []byte("x"), 0, store.Unstable); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Remove(ctx, alice, d, name); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	for range 50 {
		ev.next()
		ev.next()
		ev.next()
	}
}

// BenchmarkWatchWrite is a 4 KiB unstable write with nobody watching, and
// with a watcher on the file's directory (whose events merge into one).
// Compare "none" with BenchmarkWrite4KiBRandom of a store without
// watchers: the hot path only loads one atomic counter.
func BenchmarkWatchWrite(b *testing.B) {
	for _, watched := range []bool{false, true} {
		name := "none"
		if watched {
			name = "watched"
		}
		b.Run(name, func(b *testing.B) {
			fs := benchFS(b)
			f := create(b, fs, alice, fs.Root(), "f", 0o644)
			if watched {
				w, err := fs.Watch(ctx, alice, fs.Root(), store.WatchOptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
			}
			p := make([]byte, 4096)
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := fs.WriteAt(ctx, alice, f, p, int64(i%1024)*4096, store.Unstable); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
