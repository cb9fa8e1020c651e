package store_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// gatedMeta counts Updates and holds the first one that writes an intent
// until gate is closed.
type gatedMeta struct {
	store.Metadata
	updates atomic.Int64
	gate    chan struct{}
	armed   atomic.Bool
}

func (m *gatedMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	m.updates.Add(1)
	if m.armed.CompareAndSwap(true, false) {
		<-m.gate
	}
	return m.Metadata.Update(ctx, fn)
}

// Small stable writes to one file that arrive while one is in its
// transaction are written together in the next one: 1 + 1 transactions
// for 1 + 7 writes, each write with its own attributes before and after,
// in one order (each After is the next one's Before), and every byte
// where it was written. A write the caller may not make fails alone.
func TestSmallStableWritesBatch(t *testing.T) {
	// Queued writes wait on channels, which synctest.Wait sees as
	// durably blocked; writes that are not batched would wait on the
	// file's mutex instead, and synctest.Wait would never return. Fail
	// loudly then rather than at the suite's timeout.
	watchdog := time.AfterFunc(2*time.Minute, func() {
		panic("TestSmallStableWritesBatch: writers never queued (small stable writes are not batched?)")
	})
	defer watchdog.Stop()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		meta := &gatedMeta{Metadata: memory.NewMetadata(), gate: make(chan struct{})}
		fs, err := store.NewFS(meta, memory.NewBlocks(), store.Options{BlockSize: 4096, RootMode: 0o777, FlushInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		h, _, _, err := fs.Create(ctx, alice, fs.Root(), "f", store.CreateGuarded, &store.SetAttr{Mask: store.SetMode, Mode: 0o644}, store.Verifier{})
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		type result struct {
			w   store.Wcc
			err error
		}
		res := make([]result, n)
		var wg sync.WaitGroup
		write := func(i int, c *store.Cred) {
			defer wg.Done()
			_, w, err := fs.WriteAt(ctx, c, h, bytes.Repeat([]byte{byte('a' + i)}, 100), int64(i*100), store.FileSync)
			res[i] = result{w, err}
		}
		meta.armed.Store(true)
		before := meta.updates.Load()
		wg.Add(1)
		go write(0, alice) // leads alone, held in its transaction
		synctest.Wait()
		for i := 1; i < n; i++ {
			c := alice
			if i == 3 {
				c = bob // may not write the file (0644, alice's)
			}
			wg.Add(1)
			go write(i, c)
		}
		synctest.Wait() // all queued behind the first
		close(meta.gate)
		wg.Wait()
		if got := meta.updates.Load() - before; got != 2 {
			t.Errorf("%d transactions for %d writes, want 2", got, n)
		}
		want := make([]byte, n*100)
		for i := range n {
			if i == 3 {
				if !errors.Is(res[i].err, store.ErrAccess) {
					t.Errorf("bob's write: %v, want ErrAccess", res[i].err)
				}
				continue
			}
			if res[i].err != nil {
				t.Fatalf("write %d: %v", i, res[i].err)
			}
			copy(want[i*100:], bytes.Repeat([]byte{byte('a' + i)}, 100))
			if w := res[i].w; w.After.Change != w.Before.Change+1 || w.After.Size < w.Before.Size {
				t.Errorf("write %d: wcc %d -> %d, size %d -> %d", i, w.Before.Change, w.After.Change, w.Before.Size, w.After.Size)
			}
		}
		// The batch's writes ran in one order: the changes chain.
		afters := map[uint64]bool{}
		for i := range n {
			if i != 3 {
				afters[res[i].w.After.Change] = true
			}
		}
		for i := range n {
			if i != 3 && i != 0 && !afters[res[i].w.Before.Change] && res[i].w.Before.Change != res[0].w.After.Change {
				t.Errorf("write %d: Before.Change %d is no other write's After", i, res[i].w.Before.Change)
			}
		}
		if len(afters) != n-1 {
			t.Errorf("%d distinct change counters after %d writes", len(afters), n-1)
		}
		got := make([]byte, n*100+10)
		m, _, _, err := fs.ReadAt(ctx, alice, h, got, 0)
		if err != nil || !bytes.Equal(got[:m], want) {
			t.Fatalf("read back %d bytes, %v; differ from the writes", m, err)
		}
	})
}

// Concurrent small stable writes to one file from many writers, over and
// over the same bytes: what a reader sees at the end is, for each range,
// the last write the store ordered, and reopening the backends (the
// intents replayed) gives the same bytes.
func TestSmallStableWritesConcurrent(t *testing.T) {
	ctx := context.Background()
	meta, blocks := memory.NewMetadata(), memory.NewBlocks()
	opts := store.Options{BlockSize: 4096, RootMode: 0o777, FlushInterval: -1}
	fs, err := store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	h, _, _, err := fs.Create(ctx, alice, fs.Root(), "f", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				off := int64((w*7 + r*13) % 64 * 100)
				if _, _, err := fs.WriteAt(ctx, alice, h, bytes.Repeat([]byte{byte(w*rounds + r)}, 100), off, store.FileSync); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := make([]byte, 64*100)
	if _, _, _, err := fs.ReadAt(ctx, alice, h, got, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(got); i += 100 {
		if !bytes.Equal(got[i:i+100], bytes.Repeat(got[i:i+1], 100)) {
			t.Fatalf("bytes %d..%d mix two writes", i, i+100)
		}
	}
	// Abandon fs (no Close), as a crash would, and reopen: the intents
	// are replayed in their order and give the same bytes.
	fs2, err := store.NewFS(meta, blocks, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	again := make([]byte, len(got))
	if _, _, _, err := fs2.ReadAt(ctx, alice, h, again, 0); err != nil || !bytes.Equal(again, got) {
		t.Fatalf("after a restart the file differs (%v)", err)
	}
}
