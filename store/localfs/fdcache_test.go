package localfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/localfs"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func readBlock(t *testing.T, b *localfs.Blocks, bid store.BlockID, n int) ([]byte, error) {
	t.Helper()
	p := make([]byte, n)
	m, err := b.ReadAt(context.Background(), bid, p, 0)
	return p[:m], err
}

// Reads keep at most OpenFiles block files open, and Close closes them.
func TestOpenFilesBounded(t *testing.T) {
	ctx := context.Background()
	b, err := localfs.Open(t.TempDir(), localfs.Options{NoSync: true, OpenFiles: 8})
	if err != nil {
		t.Fatal(err)
	}
	base := openFDs(t)
	for i := range 100 {
		if err := b.Put(ctx, id(i), blockData(i)); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 {
		for i := range 100 {
			got, err := readBlock(t, b, id(i), 2*len(blockData(i)))
			if (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(got, blockData(i)) {
				t.Fatalf("round %d block %d: %d bytes, %v", round, i, len(got), err)
			}
		}
	}
	if n := openFDs(t); n > base+8 {
		t.Fatalf("%d files open after reading 100 blocks twice, want at most %d", n, base+8)
	}
	b.Close()
	if n := openFDs(t); n >= base {
		t.Fatalf("%d files open after Close, %d before the reads (including the lock)", n, base)
	}
}

// A read after Put or Delete returned sees it, also when the block's
// file was open in the cache, and under concurrent readers (-race).
func TestOpenFilesFollowPutAndDelete(t *testing.T) {
	ctx := context.Background()
	b, err := localfs.Open(t.TempDir(), localfs.Options{NoSync: true, OpenFiles: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bid := id(1)
	versions := [][]byte{[]byte("version zero"), []byte("version one!"), []byte("version two!")}
	var stop sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		stop.Add(1)
		go func() {
			defer stop.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := readBlock(t, b, bid, 64)
				if err != nil && !errors.Is(err, io.EOF) && store.CodeOf(err) != store.CodeNotFound {
					t.Errorf("concurrent read: %v", err)
					return
				}
				if err == nil || errors.Is(err, io.EOF) {
					ok := false
					for _, v := range versions {
						ok = ok || bytes.Equal(got, v)
					}
					if !ok {
						t.Errorf("concurrent read got %q", got)
						return
					}
				}
			}
		}()
	}
	for i := range 300 {
		v := versions[i%len(versions)]
		if err := b.Put(ctx, bid, v); err != nil {
			t.Fatal(err)
		}
		if got, err := readBlock(t, b, bid, 64); !bytes.Equal(got, v) {
			t.Fatalf("after Put %d: %q, %v; want %q", i, got, err, v)
		}
		if i%7 == 0 {
			if err := b.Delete(ctx, bid); err != nil {
				t.Fatal(err)
			}
			if _, err := readBlock(t, b, bid, 64); store.CodeOf(err) != store.CodeNotFound {
				t.Fatalf("after Delete %d: %v, want not found", i, err)
			}
		}
	}
	close(done)
	stop.Wait()
}
