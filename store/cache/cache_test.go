package cache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/cache"
	"github.com/dittofs/dittofs/store/memory"
	s3store "github.com/dittofs/dittofs/store/s3"
	"github.com/dittofs/dittofs/store/s3/s3test"
	"github.com/dittofs/dittofs/store/storetest"
)

// remote is a store.Blocks in memory that can be taken down (every call
// fails) and whose Puts can be held at a gate, standing in for S3.
type remote struct {
	*memory.Blocks
	down atomic.Bool
	puts atomic.Int64
	gate chan struct{} // when not nil, Put waits for a receive... closed to let all go
	mu   sync.Mutex
}

func newRemote() *remote { return &remote{Blocks: memory.NewBlocks()} }

var errDown = errors.New("remote is down")

func (r *remote) Put(ctx context.Context, id store.BlockID, data []byte) error {
	r.mu.Lock()
	gate := r.gate
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.down.Load() {
		return errDown
	}
	r.puts.Add(1)
	return r.Blocks.Put(ctx, id, data)
}

func (r *remote) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	if r.down.Load() {
		return 0, errDown
	}
	return r.Blocks.ReadAt(ctx, id, p, off)
}

func (r *remote) Delete(ctx context.Context, id store.BlockID) error {
	if r.down.Load() {
		return errDown
	}
	return r.Blocks.Delete(ctx, id)
}

func (r *remote) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	if r.down.Load() {
		return errDown
	}
	return r.Blocks.Walk(ctx, fn)
}

// has reports whether the remote holds id with data.
func (r *remote) has(t *testing.T, id store.BlockID, data []byte) bool {
	t.Helper()
	p := make([]byte, len(data)+1)
	n, err := r.Blocks.ReadAt(context.Background(), id, p, 0)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != io.EOF || !bytes.Equal(p[:n], data) {
		t.Fatalf("remote block %s: %d bytes, %v; not the data put", id, n, err)
	}
	return true
}

func (r *remote) count(t *testing.T) int {
	n := 0
	r.Blocks.Walk(context.Background(), func(store.BlockID) error { n++; return nil })
	return n
}

func open(t testing.TB, dir string, r store.Blocks, o cache.Options) *cache.Cache {
	t.Helper()
	o.Dir = dir
	if o.RetryDelay == 0 {
		o.RetryDelay = time.Millisecond
	}
	c, err := cache.Open(r, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// noClose keeps a remote open across a reopen of the cache, which closes
// its remote.
type noClose struct{ store.Blocks }

func conformance(t *testing.T, newRemote func(t *testing.T) store.Blocks, o cache.Options) {
	type setup struct {
		dir    string
		remote store.Blocks
	}
	var mu sync.Mutex
	setups := map[store.Blocks]setup{}
	storetest.Blocks(t, func(t *testing.T) store.Blocks {
		s := setup{t.TempDir(), newRemote(t)}
		c := open(t, s.dir, noClose{s.remote}, o)
		mu.Lock()
		setups[c] = s
		mu.Unlock()
		return c
	}, storetest.BlocksOptions{
		Reopen: func(t *testing.T, old store.Blocks) store.Blocks {
			mu.Lock()
			s := setups[old]
			mu.Unlock()
			if err := old.(*cache.Cache).Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			c := open(t, s.dir, noClose{s.remote}, o)
			mu.Lock()
			setups[c] = s
			mu.Unlock()
			return c
		},
		Timeout: 30 * time.Second,
	})
}

func TestConformance(t *testing.T) {
	conformance(t, func(*testing.T) store.Blocks { return newRemote() }, cache.Options{})
}

// TestConformanceSmall runs the suite with room for few blocks, so that
// eviction, fetches and backpressure run all through it.
func TestConformanceSmall(t *testing.T) {
	conformance(t, func(*testing.T) store.Blocks { return newRemote() }, cache.Options{Capacity: 9 << 20, Uploads: 2, NoSync: true})
}

// TestConformanceS3 is the cached S3 store of issue 19's Proof: the cache
// over store/s3 on gofakes3.
func TestConformanceS3(t *testing.T) {
	srv := s3test.Fake(t, nil)
	n := 0
	conformance(t, func(t *testing.T) store.Blocks {
		n++
		b, err := s3store.Open(context.Background(), srv.Options(fmt.Sprintf("c%d/", n)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, cache.Options{})
}

func id(s string) store.BlockID {
	var b store.BlockID
	copy(b[:], s)
	return b
}

func block(i, n int) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8), 7}, n/3+1)[:n] }

func read(t *testing.T, c store.Blocks, bid store.BlockID, want []byte) {
	t.Helper()
	p := make([]byte, len(want)+1)
	n, err := c.ReadAt(context.Background(), bid, p, 0)
	if err != io.EOF || !bytes.Equal(p[:n], want) {
		t.Fatalf("ReadAt(%s) = %d bytes, %v; want the %d bytes put", bid, n, err, len(want))
	}
}

// waitFor polls cond until it holds; the test's own timeout bounds it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRemoteDown: with the remote down, Puts are acknowledged while local
// space lasts and cached blocks stay readable; the Put that needs more room
// than the clean blocks give waits (never fails) until uploads resume, and
// after the remote comes back everything reaches it.
func TestRemoteDown(t *testing.T) {
	r := newRemote()
	const size = 64 << 10
	c := open(t, t.TempDir(), r, cache.Options{Capacity: 8 * size, Uploads: 2})
	ctx := context.Background()
	// Two clean blocks, uploaded before the outage.
	for i := range 2 {
		if err := c.Put(ctx, id(fmt.Sprint("clean", i)), block(i, size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	r.down.Store(true)
	for i := range 8 {
		if err := c.Put(ctx, id(fmt.Sprint("d", i)), block(100+i, size)); err != nil {
			t.Fatalf("Put %d with the remote down: %v", i, err)
		}
		if err := c.Sync(ctx); err != nil {
			t.Fatalf("Sync with the remote down: %v", err)
		}
	}
	// The two clean blocks made room for the last two dirty ones.
	s := c.Stats()
	if s.DirtyBlocks != 8 || s.DirtyBytes != 8*size || s.Evictions != 2 {
		t.Fatalf("stats with the remote down: %+v; want 8 dirty blocks, 2 evictions", s)
	}
	for i := range 8 {
		read(t, c, id(fmt.Sprint("d", i)), block(100+i, size))
	}
	// An evicted clean block cannot be fetched while the remote is down.
	if _, err := c.ReadAt(ctx, id("clean0"), make([]byte, 1), 0); !errors.Is(err, errDown) {
		t.Fatalf("ReadAt of an evicted block with the remote down: %v, want the remote's error", err)
	}
	// The ninth Put waits for room.
	done := make(chan error, 1)
	go func() { done <- c.Put(ctx, id("late"), block(200, size)) }()
	waitFor(t, "the Put to wait for room", func() bool { return c.Stats().Waits == 1 })
	select {
	case err := <-done:
		t.Fatalf("Put returned %v while every local block was dirty and the remote down", err)
	default:
	}
	// A Put that gives up (its context ends) fails with the context's
	// error and leaves nothing.
	cctx, cancel := context.WithCancel(ctx)
	cdone := make(chan error, 1)
	go func() { cdone <- c.Put(cctx, id("gaveup"), block(201, size)) }()
	waitFor(t, "the second Put to wait", func() bool { return c.Stats().Waits == 2 })
	cancel()
	if err := <-cdone; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Put with a canceled context: %v", err)
	}
	r.down.Store(false)
	if err := <-done; err != nil {
		t.Fatalf("waiting Put after the remote came back: %v", err)
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if !r.has(t, id(fmt.Sprint("d", i)), block(100+i, size)) {
			t.Errorf("block d%d never reached the remote", i)
		}
	}
	if !r.has(t, id("late"), block(200, size)) || r.has(t, id("gaveup"), nil) {
		t.Errorf("remote: late uploaded %v, abandoned Put present", r.has(t, id("late"), block(200, size)))
	}
	if s := c.Stats(); s.UploadErrors == 0 || s.DirtyBlocks != 0 || s.UploadQueue != 0 {
		t.Errorf("stats after the outage: %+v", s)
	}
}

// TestReplay: blocks acknowledged while the remote was down are uploaded by
// the next Open (the local directory and the journal are the WAL), and
// blocks the journal records as uploaded are not uploaded again.
func TestReplay(t *testing.T) {
	r := newRemote()
	dir := t.TempDir()
	ctx := context.Background()
	c := open(t, dir, noClose{r}, cache.Options{})
	if err := c.Put(ctx, id("up"), []byte("uploaded")); err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	r.down.Store(true)
	for i := range 5 {
		if err := c.Put(ctx, id(fmt.Sprint("p", i)), block(i, 1000+i)); err != nil {
			t.Fatal(err)
		}
	}
	// "up" put again with other bytes: dirty once more.
	if err := c.Put(ctx, id("up"), []byte("changed")); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened with the remote still down, so that nothing is uploaded
	// before the count.
	puts := r.puts.Load()
	c = open(t, dir, noClose{r}, cache.Options{})
	if s := c.Stats(); s.DirtyBlocks != 6 {
		t.Fatalf("reopened with %d dirty blocks, want 6", s.DirtyBlocks)
	}
	r.down.Store(false)
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.puts.Load() - puts; got != 6 {
		t.Errorf("the reopened cache uploaded %d blocks, want the 6 pending", got)
	}
	for i := range 5 {
		if !r.has(t, id(fmt.Sprint("p", i)), block(i, 1000+i)) {
			t.Errorf("p%d not uploaded after the reopen", i)
		}
	}
	r.has(t, id("up"), []byte("changed"))
	// Reopened once more: nothing is pending.
	c.Close()
	puts = r.puts.Load()
	c = open(t, dir, noClose{r}, cache.Options{})
	if s := c.Stats(); s.DirtyBlocks != 0 || s.UsedBytes == 0 {
		t.Fatalf("second reopen: %+v, want every block clean and kept", s)
	}
	c.Close()
	if r.puts.Load() != puts {
		t.Errorf("clean blocks were uploaded again")
	}
}

// TestLRU: the least recently used clean block is evicted first, and a
// read of an evicted block fetches it whole from the remote (a miss), after
// which reads of it are hits.
func TestLRU(t *testing.T) {
	r := newRemote()
	const size = 1000
	// One uploader: blocks become clean in the order they were put.
	c := open(t, t.TempDir(), r, cache.Options{Capacity: 3 * size, Uploads: 1})
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if err := c.Put(ctx, id(n), block(int(n[0]), size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	read(t, c, id("a"), block('a', size)) // a is now the most recent
	if err := c.Put(ctx, id("d"), block('d', size)); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	if s.Evictions != 1 || s.Hits != 1 || s.Misses != 0 {
		t.Fatalf("stats: %+v; want 1 eviction, 1 hit", s)
	}
	read(t, c, id("a"), block('a', size))
	read(t, c, id("c"), block('c', size))
	if s := c.Stats(); s.Misses != 0 {
		t.Fatalf("a and c were evicted instead of b: %+v", s)
	}
	// b was evicted: fetched once, then a hit.
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	read(t, c, id("b"), block('b', size))
	p := make([]byte, 10)
	if n, err := c.ReadAt(ctx, id("b"), p, size-5); n != 5 || err != io.EOF {
		t.Fatalf("tail read of a fetched block: %d, %v", n, err)
	}
	s = c.Stats()
	if s.Misses != 1 || s.Fetches != 1 || s.HitRatio() <= 0 || s.RemoteOps == 0 {
		t.Fatalf("stats after the fetch: %+v", s)
	}
}

// TestDeleteDuringUpload: a Delete of a block whose upload hangs returns
// without waiting for it; the block is gone for reads and Walk at once,
// and from the remote once the upload has ended and the background delete
// has run after it, so the upload cannot bring it back.
func TestDeleteDuringUpload(t *testing.T) {
	r := newRemote()
	gate := make(chan struct{})
	r.gate = gate
	c := open(t, t.TempDir(), r, cache.Options{Uploads: 1})
	ctx := context.Background()
	if err := c.Put(ctx, id("x"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the upload to start", func() bool { return c.Stats().Uploading == 1 })
	if got := walkAll(t, c); len(got) != 1 || !got[id("x")] {
		t.Fatalf("Walk with x pending upload: %v, want x once", got)
	}
	if err := c.Delete(ctx, id("x")); err != nil {
		t.Fatalf("Delete while the upload hangs: %v", err)
	}
	if _, err := c.ReadAt(ctx, id("x"), make([]byte, 1), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReadAt after Delete: %v", err)
	}
	if got := walkAll(t, c); len(got) != 0 {
		t.Fatalf("Walk after Delete: %v", got)
	}
	r.mu.Lock()
	r.gate = nil
	r.mu.Unlock()
	close(gate)
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if r.has(t, id("x"), []byte("x")) {
		t.Fatal("the block is on the remote after Delete and Drain")
	}
}

// TestDeleteRemoteDown: with the remote down, Delete of an uploaded block
// returns at once (journaled), the block is gone for reads (no fetch of
// the stale remote copy) and Walk; the delete survives a reopen and runs
// when the remote is back. A Put of a deleted id before the remote delete
// runs supersedes it: the new version stays.
func TestDeleteRemoteDown(t *testing.T) {
	r := newRemote()
	dir := t.TempDir()
	ctx := context.Background()
	c := open(t, dir, noClose{r}, cache.Options{})
	for _, n := range []string{"a", "b"} {
		if err := c.Put(ctx, id(n), []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	r.down.Store(true)
	for _, n := range []string{"a", "b"} {
		if err := c.Delete(ctx, id(n)); err != nil {
			t.Fatalf("Delete %s with the remote down: %v", n, err)
		}
		if _, err := c.ReadAt(ctx, id(n), make([]byte, 1), 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ReadAt of deleted %s: %v, want ErrNotFound", n, err)
		}
	}
	if err := c.Put(ctx, id("b"), []byte("b2")); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.PendingDeletes != 1 {
		t.Fatalf("%d pending deletes, want 1 (b's superseded by its Put)", s.PendingDeletes)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = open(t, dir, noClose{r}, cache.Options{})
	if s := c.Stats(); s.PendingDeletes != 1 || s.DirtyBlocks != 1 {
		t.Fatalf("reopened: %+v, want 1 pending delete and 1 dirty block", s)
	}
	r.down.Store(false)
	if got := walkAll(t, c); len(got) != 1 || !got[id("b")] {
		t.Fatalf("Walk after reopen: %v, want b only", got)
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if r.has(t, id("a"), []byte("a")) {
		t.Error("a is still on the remote after its delete ran")
	}
	if !r.has(t, id("b"), []byte("b2")) {
		t.Error("b's new version is not on the remote")
	}
}

func walkAll(t *testing.T, c store.Blocks) map[store.BlockID]bool {
	t.Helper()
	got := map[store.BlockID]bool{}
	if err := c.Walk(context.Background(), func(b store.BlockID) error {
		if got[b] {
			t.Errorf("Walk visited %s twice", b)
		}
		got[b] = true
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

// TestTooLarge: a block larger than the whole cache is refused at once
// (no amount of waiting frees room for it).
func TestTooLarge(t *testing.T) {
	c := open(t, t.TempDir(), newRemote(), cache.Options{Capacity: 100})
	if err := c.Put(context.Background(), id("big"), make([]byte, 101)); store.CodeOf(err) != store.CodeNoSpace {
		t.Fatalf("Put of a block over the capacity: %v, want CodeNoSpace", err)
	}
}

// TestOverwriteUnderEviction: blocks put again while other Puts evict clean
// blocks. An eviction must never delete the new file of a block being put
// again (its entry still clean): every block ends with its last version,
// locally and on the remote.
func TestOverwriteUnderEviction(t *testing.T) {
	r := newRemote()
	const size, ids, rounds = 4096, 8, 150
	c := open(t, t.TempDir(), r, cache.Options{Capacity: 3 * size, Uploads: 4})
	ctx := context.Background()
	var wg sync.WaitGroup
	for k := range ids {
		wg.Go(func() {
			for v := range rounds {
				if err := c.Put(ctx, id(fmt.Sprint("k", k)), block(k*1000+v, size)); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.Drain(dctx); err != nil {
		t.Fatalf("Drain: %v (%+v): a dirty block lost its local file?", err, c.Stats())
	}
	for k := range ids {
		want := block(k*1000+rounds-1, size)
		read(t, c, id(fmt.Sprint("k", k)), want)
		if !r.has(t, id(fmt.Sprint("k", k)), want) {
			t.Errorf("remote lacks the last version of k%d", k)
		}
	}
}
