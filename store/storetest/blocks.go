package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// Blocks runs the conformance suite for a store.Blocks backend. newBackend
// returns a fresh, empty backend for each subtest. At most one
// BlocksOptions may be given.
func Blocks(t *testing.T, newBackend func(t *testing.T) store.Blocks, opts ...BlocksOptions) {
	t.Helper()
	if len(opts) > 1 {
		t.Fatal("storetest.Blocks: more than one BlocksOptions")
	}
	var o BlocksOptions
	if len(opts) == 1 {
		o = opts[0]
	}
	tests := []struct {
		name string
		fn   func(t *tt, b store.Blocks)
	}{
		{"PutRead", testBlockPutRead},
		{"ReadAtOffsets", testBlockOffsets},
		{"Empty", testBlockEmpty},
		{"NotFound", testBlockNotFound},
		{"Overwrite", testBlockOverwrite},
		{"OverwriteAtomic", testBlockOverwriteAtomic},
		{"CallerBuffer", testBlockCallerBuffer},
		{"Delete", testBlockDelete},
		{"Walk", testBlockWalk},
		{"WalkStops", testBlockWalkStops},
		{"Concurrent", testBlockConcurrent},
		{"Large", testBlockLarge},
		{"Context", testBlockContext},
		{"Sync", testBlockSync},
		{"Close", testBlockClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t)
			run(t, o.Timeout, b, func(t *tt) { tc.fn(t, watchedBlocks{b, t.w}) })
		})
	}
	t.Run("Persistence", func(t *testing.T) {
		b := newBackend(t)
		run(t, o.Timeout, b, func(t *tt) {
			testPersistence(t, o.Reopen != nil, func() { putBlock(t, watchedBlocks{b, t.w}, blockID("p"), []byte("x")) })
		})
	})
	t.Run("Reopen", func(t *testing.T) {
		if o.Reopen == nil {
			t.Skip("no BlocksOptions.Reopen")
		}
		b := newBackend(t)
		run(t, o.Timeout, b, func(t *tt) { testBlockReopen(t, b, o.Reopen) })
	})
}

// blockID returns a test id derived from s.
func blockID(s string) store.BlockID {
	return store.BlockID(sha256.Sum256([]byte(s)))
}

func putBlock(t *tt, b store.Blocks, id store.BlockID, data []byte) {
	t.Helper()
	if err := b.Put(t.ctx, id, data); err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", id, len(data), err)
	}
}

// readAll reads block id in chunks of n bytes until io.EOF.
func readAll(t *tt, b store.Blocks, id store.BlockID, chunk int) []byte {
	t.Helper()
	var out []byte
	p := make([]byte, chunk)
	for off := int64(0); ; {
		n, err := b.ReadAt(t.ctx, id, p, off)
		if n < 0 || n > len(p) {
			t.Fatalf("ReadAt(%s, %d) returned n=%d for a %d-byte buffer", id, off, n, len(p))
		}
		out = append(out, p[:n]...)
		off += int64(n)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("ReadAt(%s, %d): %v", id, off, err)
		}
		if n < len(p) {
			t.Fatalf("ReadAt(%s, %d) = %d bytes of %d without io.EOF", id, off, n, len(p))
		}
	}
}

func wantBlock(t *tt, b store.Blocks, id store.BlockID, want []byte) {
	t.Helper()
	for _, chunk := range []int{len(want) + 1, 4096, 1000} {
		if got := readAll(t, b, id, chunk); !bytes.Equal(got, want) {
			t.Fatalf("block %s read in %d-byte chunks: %s, want %s", id, chunk, short(got), short(want))
		}
	}
}

func testBlockPutRead(t *tt, b store.Blocks) {
	r := testRand(t)
	for _, n := range []int{1, 100, 4096, 4097, 65536, 1<<20 + 3} {
		id := blockID(fmt.Sprint("size", n))
		data := randBytes(r, n)
		putBlock(t, b, id, data)
		wantBlock(t, b, id, data)
		// Filling p exactly to the end of the block is not io.EOF.
		p := make([]byte, n)
		got, err := b.ReadAt(t.ctx, id, p, 0)
		if got != n || err != nil {
			t.Fatalf("ReadAt of exactly the whole %d-byte block = %d, %v; want %d, nil", n, got, err, n)
		}
		if !bytes.Equal(p, data) {
			t.Fatalf("ReadAt of the whole block returned other bytes")
		}
	}
}

func testBlockOffsets(t *tt, b store.Blocks) {
	const size = 10000
	data := randBytes(testRand(t), size)
	id := blockID("offsets")
	putBlock(t, b, id, data)
	ctx := t.ctx
	for _, tc := range []struct {
		off    int64
		len    int
		n      int
		eof    bool
		detail string
	}{
		{0, 10, 10, false, "start"},
		{1, 10, 10, false, "odd offset"},
		{5000, 5000, 5000, false, "exactly to the end"},
		{5000, 5001, 5000, true, "one past the end"},
		{9999, 1, 1, false, "last byte"},
		{9999, 2, 1, true, "last byte and beyond"},
		{size, 1, 0, true, "at the end"},
		{size + 1, 1, 0, true, "past the end"},
		{1 << 40, 10, 0, true, "far past the end"},
		{100, 0, 0, false, "empty buffer"},
	} {
		p := make([]byte, tc.len)
		n, err := b.ReadAt(ctx, id, p, tc.off)
		if n != tc.n {
			t.Errorf("%s: ReadAt(off %d, len %d) = %d bytes, want %d", tc.detail, tc.off, tc.len, n, tc.n)
			continue
		}
		if tc.eof && err != io.EOF {
			t.Errorf("%s: ReadAt(off %d, len %d) error %v, want io.EOF", tc.detail, tc.off, tc.len, err)
		}
		if !tc.eof && err != nil {
			t.Errorf("%s: ReadAt(off %d, len %d) error %v, want nil", tc.detail, tc.off, tc.len, err)
		}
		if tc.off < size && !bytes.Equal(p[:n], data[tc.off:tc.off+int64(n)]) {
			t.Errorf("%s: ReadAt(off %d, len %d) returned other bytes", tc.detail, tc.off, tc.len)
		}
	}
	if n, err := b.ReadAt(ctx, id, make([]byte, 4), -1); err == nil || err == io.EOF || n != 0 {
		t.Errorf("ReadAt at a negative offset = %d, %v; want an error", n, err)
	}
}

func testBlockEmpty(t *tt, b store.Blocks) {
	id := blockID("empty")
	putBlock(t, b, id, nil)
	n, err := b.ReadAt(t.ctx, id, make([]byte, 8), 0)
	if n != 0 || err != io.EOF {
		t.Fatalf("ReadAt of an empty block = %d, %v; want 0, io.EOF", n, err)
	}
	putBlock(t, b, blockID("empty2"), []byte{})
	n, err = b.ReadAt(t.ctx, blockID("empty2"), make([]byte, 8), 0)
	if n != 0 || err != io.EOF {
		t.Fatalf("ReadAt of an empty block = %d, %v; want 0, io.EOF", n, err)
	}
}

func testBlockNotFound(t *tt, b store.Blocks) {
	ctx := t.ctx
	for _, id := range []store.BlockID{{}, blockID("absent"), {0xff, 0xff}} {
		if _, err := b.ReadAt(ctx, id, make([]byte, 8), 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ReadAt(%s) of an absent block: %v, want ErrNotFound", id, err)
		}
	}
	putBlock(t, b, blockID("present"), []byte("x"))
	if _, err := b.ReadAt(ctx, blockID("absent"), make([]byte, 8), 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadAt of an absent block beside a present one: %v, want ErrNotFound", err)
	}
}

func testBlockOverwrite(t *tt, b store.Blocks) {
	id := blockID("over")
	putBlock(t, b, id, bytes.Repeat([]byte("a"), 5000))
	putBlock(t, b, id, []byte("short"))
	wantBlock(t, b, id, []byte("short"))
	putBlock(t, b, id, bytes.Repeat([]byte("b"), 9000))
	wantBlock(t, b, id, bytes.Repeat([]byte("b"), 9000))
}

// testBlockOverwriteAtomic has readers race a writer that replaces a
// block with versions of different sizes and contents: every read sees one
// whole version, never a mix or a torn length.
func testBlockOverwriteAtomic(t *tt, b store.Blocks) {
	const writes, readers = 200, 4
	id := blockID("atomic")
	versions := [][]byte{
		bytes.Repeat([]byte{'A'}, 64<<10),
		bytes.Repeat([]byte{'B'}, 100<<10),
		bytes.Repeat([]byte{'C'}, 3<<10),
	}
	putBlock(t, b, id, versions[0])
	ctx := t.ctx
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	wg.Go(func() {
		defer close(done)
		for i := range writes {
			if err := b.Put(ctx, id, versions[i%len(versions)]); err != nil {
				errs <- err
				return
			}
		}
	})
	for range readers {
		wg.Go(func() {
			p := make([]byte, 128<<10)
			for {
				select {
				case <-done:
					return
				default:
				}
				n, err := b.ReadAt(ctx, id, p, 0)
				if err != io.EOF {
					errs <- fmt.Errorf("ReadAt of a block smaller than p: %d, %v", n, err)
					return
				}
				ok := false
				for _, v := range versions {
					if n == len(v) && bytes.Equal(p[:n], v) {
						ok = true
					}
				}
				if !ok {
					errs <- fmt.Errorf("read %d bytes starting %q that match no version", n, p[:min(n, 8)])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testBlockCallerBuffer(t *tt, b store.Blocks) {
	id := blockID("buf")
	data := []byte("original")
	putBlock(t, b, id, data)
	copy(data, "CHANGED!")
	wantBlock(t, b, id, []byte("original"))
	// Nor does a read buffer alias the stored block.
	p := make([]byte, 8)
	if _, err := b.ReadAt(t.ctx, id, p, 0); err != nil {
		t.Fatal(err)
	}
	copy(p, "XXXXXXXX")
	wantBlock(t, b, id, []byte("original"))
}

func testBlockDelete(t *tt, b store.Blocks) {
	ctx := t.ctx
	id := blockID("del")
	keep := blockID("keep")
	putBlock(t, b, id, []byte("x"))
	putBlock(t, b, keep, []byte("y"))
	if err := b.Delete(ctx, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.ReadAt(ctx, id, make([]byte, 1), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReadAt after Delete: %v, want ErrNotFound", err)
	}
	wantBlock(t, b, keep, []byte("y"))
	if err := b.Delete(ctx, id); err != nil {
		t.Fatalf("Delete of an absent block: %v", err)
	}
	if err := b.Delete(ctx, blockID("never")); err != nil {
		t.Fatalf("Delete of a never-stored block: %v", err)
	}
	// A deleted block can be stored again.
	putBlock(t, b, id, []byte("back"))
	wantBlock(t, b, id, []byte("back"))
}

func walkAll(t *tt, b store.Blocks) map[store.BlockID]int {
	t.Helper()
	seen := map[store.BlockID]int{}
	if err := b.Walk(t.ctx, func(id store.BlockID) error {
		seen[id]++
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return seen
}

func wantWalk(t *tt, b store.Blocks, want map[store.BlockID]bool) {
	t.Helper()
	seen := walkAll(t, b)
	for id, n := range seen {
		if n != 1 {
			t.Errorf("Walk visited %s %d times", id, n)
		}
		if !want[id] {
			t.Errorf("Walk visited %s, which is not stored", id)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("Walk missed %s", id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func testBlockWalk(t *tt, b store.Blocks) {
	wantWalk(t, b, nil)
	want := map[store.BlockID]bool{}
	for i := range 300 {
		id := blockID(fmt.Sprint("walk", i))
		putBlock(t, b, id, []byte{byte(i)})
		want[id] = true
	}
	// Ids that share prefixes, and the extremes.
	for _, id := range []store.BlockID{{}, {0: 1}, {31: 1}, {0: 0xff, 31: 0xff}, {0xff, 0xff, 0xff, 0xff}} {
		putBlock(t, b, id, []byte("edge"))
		want[id] = true
	}
	wantWalk(t, b, want)
	ctx := t.ctx
	for _, id := range slices.Collect(maps.Keys(want))[:100] {
		if err := b.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		delete(want, id)
	}
	wantWalk(t, b, want)

	// fn may delete the block it is given (as garbage collection does).
	err := b.Walk(ctx, func(id store.BlockID) error { return b.Delete(ctx, id) })
	if err != nil {
		t.Fatalf("Walk deleting every block: %v", err)
	}
	wantWalk(t, b, nil)
}

func testBlockWalkStops(t *tt, b store.Blocks) {
	for i := range 10 {
		putBlock(t, b, blockID(fmt.Sprint(i)), []byte("x"))
	}
	stop := errors.New("storetest: stop")
	calls := 0
	err := b.Walk(t.ctx, func(store.BlockID) error {
		calls++
		if calls == 3 {
			return fmt.Errorf("wrapped: %w", stop)
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Walk returned %v, want fn's error", err)
	}
	if calls != 3 {
		t.Fatalf("Walk called fn %d times after it failed on the 3rd", calls)
	}
}

func testBlockConcurrent(t *tt, b store.Blocks) {
	const workers, each = 8, 40
	ctx := t.ctx
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			p := make([]byte, 2048)
			for i := range each {
				id := blockID(fmt.Sprint(w, "/", i))
				data := bytes.Repeat([]byte{byte(w), byte(i)}, 1000)
				if err := b.Put(ctx, id, data); err != nil {
					errs <- err
					return
				}
				n, err := b.ReadAt(ctx, id, p, 0)
				if n != len(data) || err != io.EOF || !bytes.Equal(p[:n], data) {
					errs <- fmt.Errorf("read back %d bytes, %v", n, err)
					return
				}
				if i%2 == 0 {
					if err := b.Delete(ctx, id); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := len(walkAll(t, b)); got != workers*each/2 {
		t.Fatalf("%d blocks after concurrent writes, want %d", got, workers*each/2)
	}
}

func testBlockLarge(t *tt, b store.Blocks) {
	data := randBytes(testRand(t), 8<<20+5)
	id := blockID("large")
	putBlock(t, b, id, data)
	got := readAll(t, b, id, 1<<20)
	if !bytes.Equal(got, data) {
		t.Fatalf("8 MiB block read back as %s", short(got))
	}
	p := make([]byte, 10)
	if n, err := b.ReadAt(t.ctx, id, p, 8<<20); n != 5 || err != io.EOF || !bytes.Equal(p[:5], data[8<<20:]) {
		t.Fatalf("tail read = %d, %v", n, err)
	}
}

func testBlockContext(t *tt, b store.Blocks) {
	ctx, cancel := context.WithCancel(t.ctx)
	cancel()
	id := blockID("ctx")
	if err := b.Put(ctx, id, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := b.ReadAt(t.ctx, id, make([]byte, 1), 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a Put with a canceled context stored the block: %v", err)
	}
	putBlock(t, b, id, []byte("x"))
	if err := b.Walk(ctx, func(store.BlockID) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with a canceled context: %v, want context.Canceled", err)
	}
}

func testBlockSync(t *tt, b store.Blocks) {
	s, ok := t.backend.(store.Syncer)
	if !ok {
		t.Skip("backend does not implement store.Syncer")
	}
	putBlock(t, b, blockID("s"), []byte("x"))
	if err := s.Sync(t.ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	wantBlock(t, b, blockID("s"), []byte("x"))
}

func testBlockReopen(t *tt, raw store.Blocks, reopen func(*testing.T, store.Blocks) store.Blocks) {
	var b store.Blocks = watchedBlocks{raw, t.w}
	r := testRand(t)
	want := map[store.BlockID][]byte{}
	for i := range 50 {
		id := blockID(fmt.Sprint("re", i))
		data := randBytes(r, 1+r.IntN(200<<10))
		putBlock(t, b, id, data)
		want[id] = data
	}
	ctx := t.ctx
	gone := blockID("re0")
	if err := b.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	delete(want, gone)
	over := blockID("re1")
	putBlock(t, b, over, []byte("overwritten"))
	want[over] = []byte("overwritten")
	if s, ok := raw.(store.Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}
	}
	for round := range 2 {
		call := t.w.begin("BlocksOptions.Reopen", "running")
		raw = reopen(t.T, raw)
		t.w.end(call)
		b = watchedBlocks{raw, t.w}
		ids := map[store.BlockID]bool{}
		for id := range want {
			ids[id] = true
		}
		wantWalk(t, b, ids)
		for id, data := range want {
			wantBlock(t, b, id, data)
		}
		if _, err := b.ReadAt(ctx, gone, make([]byte, 1), 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted block after reopen %d: %v", round, err)
		}
		id := blockID(fmt.Sprint("round", round))
		putBlock(t, b, id, []byte("new"))
		want[id] = []byte("new")
	}
}

// testBlockClose checks an io.Closer backend: Close is idempotent and
// later calls fail.
func testBlockClose(t *tt, b store.Blocks) {
	c, ok := t.backend.(io.Closer)
	if !ok {
		t.Skip("backend does not implement io.Closer")
	}
	putBlock(t, b, blockID("c"), []byte("x"))
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v, want nil (Close is idempotent)", err)
	}
	if err := b.Put(t.ctx, blockID("d"), []byte("x")); err == nil {
		t.Errorf("Put after Close succeeded")
	}
}
