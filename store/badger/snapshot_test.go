package badger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
)

func getUint(t testing.TB, tx store.Tx, k string) uint64 {
	v, err := tx.Get([]byte(k))
	if err != nil {
		t.Errorf("get %s: %v", k, err)
		return 0
	}
	return binary.LittleEndian.Uint64(v)
}

func putUint(m *badger.Metadata, k string, n uint64) error {
	return m.Update(context.Background(), func(tx store.Tx) error {
		return tx.Put([]byte(k), binary.LittleEndian.AppendUint64(nil, n))
	})
}

// Views share a read snapshot while nothing commits: a View that began
// before a commit keeps its consistent snapshot (it sees neither of two
// keys written together), and a View begun after Update returned sees the
// commit.
func TestViewSnapshots(t *testing.T) {
	ctx := context.Background()
	m, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := putUint(m, "a", 1); err != nil {
		t.Fatal(err)
	}
	inside, resume := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.View(ctx, func(tx store.Tx) error {
			first := getUint(t, tx, "a")
			close(inside)
			<-resume
			if a := getUint(t, tx, "a"); a != first || a != 1 {
				t.Errorf("an open View saw a go from %d to %d", first, a)
			}
			if _, err := tx.Get([]byte("b")); err == nil {
				t.Error("an open View saw b, written after it began")
			}
			return nil
		})
	}()
	<-inside
	// Another View shares the snapshot; then a commit of a and b.
	m.View(ctx, func(tx store.Tx) error {
		if a := getUint(t, tx, "a"); a != 1 {
			t.Errorf("a = %d, want 1", a)
		}
		return nil
	})
	if err := m.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("a"), binary.LittleEndian.AppendUint64(nil, 2)); err != nil {
			return err
		}
		return tx.Put([]byte("b"), binary.LittleEndian.AppendUint64(nil, 2))
	}); err != nil {
		t.Fatal(err)
	}
	m.View(ctx, func(tx store.Tx) error {
		if a, b := getUint(t, tx, "a"), getUint(t, tx, "b"); a != 2 || b != 2 {
			t.Errorf("after the commit: a=%d b=%d, want 2 2", a, b)
		}
		return nil
	})
	close(resume)
	<-done
}

// Every View begun after an Update returned sees it, under concurrent
// Views and Updates of other keys (run with -race).
func TestViewSeesReturnedUpdates(t *testing.T) {
	ctx := context.Background()
	m, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const writers, rounds = 4, 200
	var wg sync.WaitGroup
	var reads atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := fmt.Sprint("k", w)
			for i := uint64(1); i <= rounds; i++ {
				if err := putUint(m, k, i); err != nil {
					t.Error(err)
					return
				}
				// Readers on other goroutines keep snapshots alive.
				var rg sync.WaitGroup
				for range 2 {
					rg.Add(1)
					go func() {
						defer rg.Done()
						m.View(ctx, func(tx store.Tx) error {
							if got := getUint(t, tx, k); got < i {
								t.Errorf("%s: a View begun after Update(%d) returned saw %d", k, i, got)
							}
							reads.Add(1)
							return nil
						})
					}()
				}
				rg.Wait()
			}
		}()
	}
	wg.Wait()
	if reads.Load() != writers*rounds*2 {
		t.Fatalf("%d reads", reads.Load())
	}
}
