package store_test

import (
	"bytes"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func readAll(t testing.TB, fs *store.FS, c *store.Cred, h store.Handle) []byte {
	t.Helper()
	a := must[store.Attr](t)(fs.GetAttr(ctx, nil, h))
	p := make([]byte, a.Size)
	n, _, _, err := fs.ReadAt(ctx, c, h, p, 0)
	if err != nil || uint64(n) != a.Size {
		t.Fatal(n, err)
	}
	return p
}

func TestXattrs(t *testing.T) {
	fs := newFS(t, store.Options{MaxXattrSize: 100, MaxXattrTotal: 300})
	f := create(t, fs, alice, fs.Root(), "f", 0o644)
	_, err := fs.GetXattr(ctx, alice, f, "user.a")
	wantCode(t, err, store.CodeNoXattr)
	wantCode(t, fs.SetXattr(ctx, alice, f, "user.a", []byte("1"), store.XattrReplace), store.CodeNoXattr)
	if err := fs.SetXattr(ctx, alice, f, "user.a", []byte("1"), store.XattrCreate); err != nil {
		t.Fatal(err)
	}
	wantCode(t, fs.SetXattr(ctx, alice, f, "user.a", []byte("2"), store.XattrCreate), store.CodeExist)
	if err := fs.SetXattr(ctx, alice, f, "user.a", []byte("2"), store.XattrReplace); err != nil {
		t.Fatal(err)
	}
	if err := fs.SetXattr(ctx, alice, f, "user.b", nil, 0); err != nil {
		t.Fatal(err)
	}
	v, err := fs.GetXattr(ctx, bob, f, "user.a")
	if err != nil || string(v) != "2" {
		t.Fatal(v, err)
	}
	names, err := fs.ListXattr(ctx, alice, f)
	if err != nil || len(names) != 2 || names[0] != "user.a" || names[1] != "user.b" {
		t.Fatal(names, err)
	}
	wantCode(t, fs.SetXattr(ctx, bob, f, "user.c", nil, 0), store.CodeAccess)
	wantCode(t, fs.SetXattr(ctx, alice, f, "", nil, 0), store.CodeInvalid)
	wantCode(t, fs.SetXattr(ctx, alice, f, string(bytes.Repeat([]byte("n"), 256)), nil, 0), store.CodeNameTooLong)
	wantCode(t, fs.SetXattr(ctx, alice, f, "user.big", make([]byte, 101), 0), store.CodeTooBig)
	for i := 0; i < 2; i++ {
		if err := fs.SetXattr(ctx, alice, f, "user.v"+string(rune('0'+i)), make([]byte, 100), 0); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, fs.SetXattr(ctx, alice, f, "user.v9", make([]byte, 100), 0), store.CodeNoSpace)
	if err := fs.RemoveXattr(ctx, alice, f, "user.v0"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, fs.RemoveXattr(ctx, alice, f, "user.v0"), store.CodeNoXattr)
	if err := fs.SetXattr(ctx, alice, f, "user.v9", make([]byte, 100), 0); err != nil {
		t.Fatal(err)
	}
	checkFS(t, fs)
	if _, err := fs.Remove(ctx, alice, fs.Root(), "f"); err != nil {
		t.Fatal(err)
	}
	checkFS(t, fs)
}

func TestSparseSeekAllocate(t *testing.T) {
	fs := newFS(t, store.Options{BlockSize: 4096})
	f := create(t, fs, alice, fs.Root(), "f", 0o644)
	data := bytes.Repeat([]byte("x"), 1000)
	for _, off := range []int64{10000, 50000} {
		if _, _, err := fs.WriteAt(ctx, alice, f, data, off, store.Unstable); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: 100000}); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, fs, alice, f)
	want := make([]byte, 100000)
	copy(want[10000:], data)
	copy(want[50000:], data)
	if !bytes.Equal(got, want) {
		t.Fatal("sparse content")
	}
	a := must[store.Attr](t)(fs.GetAttr(ctx, nil, f))
	if a.Used != 2000 {
		t.Fatal("used", a.Used)
	}
	for _, tc := range []struct {
		off  int64
		w    store.Whence
		want int64
		code store.Code
	}{
		{0, store.SeekData, 10000, 0},
		{10500, store.SeekData, 10500, 0},
		{11000, store.SeekData, 50000, 0},
		{51000, store.SeekData, 0, store.CodeNXIO},
		{0, store.SeekHole, 0, 0},
		{10000, store.SeekHole, 11000, 0},
		{50500, store.SeekHole, 51000, 0},
		{99999, store.SeekHole, 99999, 0},
		{100000, store.SeekHole, 0, store.CodeNXIO},
	} {
		got, err := fs.Seek(ctx, alice, f, tc.off, tc.w)
		if store.CodeOf(err) != tc.code || (err == nil && got != tc.want) {
			t.Fatalf("seek %d %d: %d %v, want %d %v", tc.off, tc.w, got, err, tc.want, tc.code)
		}
	}
	// allocate a range over a hole and the data
	a, err := fs.Allocate(ctx, alice, f, 9000, 3000)
	if err != nil || a.Used != 4000 {
		t.Fatal(a.Used, err)
	}
	if !bytes.Equal(readAll(t, fs, alice, f), want) {
		t.Fatal("allocate changed content")
	}
	if got, _ := fs.Seek(ctx, alice, f, 0, store.SeekData); got != 9000 {
		t.Fatal("allocated range is not data", got)
	}
	a, err = fs.Allocate(ctx, alice, f, 100000, 5000)
	if err != nil || a.Size != 105000 {
		t.Fatal(a, err)
	}
	// deallocate the middle of the data
	a, err = fs.Deallocate(ctx, alice, f, 10200, 300)
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, make([]byte, 5000)...)
	clear(want[10200:10500])
	if !bytes.Equal(readAll(t, fs, alice, f), want) {
		t.Fatal("deallocate content")
	}
	// write into an allocated range
	if _, _, err := fs.WriteAt(ctx, alice, f, []byte("yy"), 9500, store.FileSync); err != nil {
		t.Fatal(err)
	}
	copy(want[9500:], "yy")
	if !bytes.Equal(readAll(t, fs, alice, f), want) {
		t.Fatal("write into allocated")
	}
	_, err = fs.Allocate(ctx, alice, f, -1, 10)
	wantCode(t, err, store.CodeInvalid)
	_, err = fs.Deallocate(ctx, alice, f, 0, 0)
	wantCode(t, err, store.CodeInvalid)
	_, err = fs.Allocate(ctx, bob, f, 0, 10)
	wantCode(t, err, store.CodeAccess)
	checkFS(t, fs)
}

func TestCloneCopy(t *testing.T) {
	blocks := memory.NewBlocks()
	fs, err := store.NewFS(memory.NewMetadata(), blocks, store.Options{BlockSize: 4096, RootMode: 0o777, Clock: newClock()})
	if err != nil {
		t.Fatal(err)
	}
	r := fs.Root()
	src := create(t, fs, alice, r, "src", 0o644)
	content := make([]byte, 20000)
	for i := range content {
		content[i] = byte(i * 7)
	}
	if _, _, err := fs.WriteAt(ctx, alice, src, content, 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	dst := create(t, fs, alice, r, "dst", 0o644)
	if _, _, err := fs.WriteAt(ctx, alice, dst, bytes.Repeat([]byte("d"), 3000), 0, store.Unstable); err != nil {
		t.Fatal(err)
	}
	if err := fs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	nblocks := blocks.Len()
	a, err := fs.Clone(ctx, alice, src, 1000, dst, 2000, 9000)
	if err != nil || a.Size != 11000 {
		t.Fatal(a, err)
	}
	want := make([]byte, 11000)
	copy(want, bytes.Repeat([]byte("d"), 3000))
	copy(want[2000:], content[1000:10000])
	if !bytes.Equal(readAll(t, fs, alice, dst), want) {
		t.Fatal("clone content")
	}
	if blocks.Len() != nblocks {
		t.Fatalf("clone stored new blocks: %d -> %d", nblocks, blocks.Len())
	}
	// the clone is independent of the source
	if _, _, err := fs.WriteAt(ctx, alice, src, []byte("ZZZZ"), 1500, store.FileSync); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, fs, alice, dst), want) {
		t.Fatal("write to source changed the clone")
	}
	copy(content[1500:], "ZZZZ")
	// copy to EOF, with a length past the end
	n, a, err := fs.Copy(ctx, alice, src, 15000, dst, 0, 1<<30)
	if err != nil || n != 5000 {
		t.Fatal(n, err)
	}
	copy(want, content[15000:])
	if !bytes.Equal(readAll(t, fs, alice, dst), want) {
		t.Fatal("copy content")
	}
	n, _, err = fs.Copy(ctx, alice, src, 30000, dst, 0, 10)
	if err != nil || n != 0 {
		t.Fatal(n, err)
	}
	_, err = fs.Clone(ctx, alice, src, 15000, dst, 0, 10000)
	wantCode(t, err, store.CodeInvalid)
	_, err = fs.Clone(ctx, alice, src, 0, src, 100, 1000)
	wantCode(t, err, store.CodeInvalid)
	if _, err := fs.Clone(ctx, alice, src, 0, src, 20000, 0); err != nil {
		t.Fatal(err)
	}
	content = append(content, content...)
	if !bytes.Equal(readAll(t, fs, alice, src), content) {
		t.Fatal("self clone")
	}
	_, err = fs.Clone(ctx, bob, src, 0, dst, 0, 10)
	wantCode(t, err, store.CodeAccess)
	checkFS(t, fs)
	for _, name := range []string{"src", "dst"} {
		if _, err := fs.Remove(ctx, alice, r, name); err != nil {
			t.Fatal(err)
		}
	}
	if blocks.Len() != 0 {
		t.Fatal("blocks left after removing both", blocks.Len())
	}
	checkFS(t, fs)
}

func TestCloneSparseIsCheap(t *testing.T) {
	fs := newFS(t, store.Options{})
	r := fs.Root()
	src := create(t, fs, alice, r, "src", 0o644)
	for _, off := range []int64{0, 1 << 29, 1<<30 - 4096} {
		if _, _, err := fs.WriteAt(ctx, alice, src, []byte("data"), off, store.FileSync); err != nil {
			t.Fatal(err)
		}
	}
	dst := create(t, fs, alice, r, "dst", 0o644)
	a, err := fs.Clone(ctx, alice, src, 0, dst, 0, 0)
	if err != nil || a.Size != 1<<30-4092 || a.Used != 12 {
		t.Fatal(a, err)
	}
	checkFS(t, fs)
}
