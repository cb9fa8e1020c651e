package state

import (
	"context"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// TestLegacyKeysMigrated: the client records an older version kept under
// "\xffNS" are moved into the "nfs4-state" namespace and still name the
// clients that may reclaim (RFC 7530 §9.6.2).
func TestLegacyKeysMigrated(t *testing.T) {
	ctx := context.Background()
	meta := memory.NewMetadata()
	if err := meta.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("\xffNSe"), []byte{0, 0, 0, 7}); err != nil {
			return err
		}
		return tx.Put([]byte("\xffNScx"), []byte("p"))
	}); err != nil {
		t.Fatal(err)
	}
	tb := newTable(t, Options{Persist: meta})
	if tb.epoch != 8 {
		t.Fatalf("epoch %d, want 8 after the legacy epoch 7", tb.epoch)
	}
	x := confirmed(t, tb, "x", 1, "p")
	if !tb.MayReclaim(x) {
		t.Fatal("a client of the legacy records may not reclaim")
	}
	if err := meta.View(ctx, func(tx store.Tx) error {
		return tx.Scan([]byte("\xffNS"), []byte("\xffNT"), func(k, _ []byte) bool {
			t.Errorf("legacy key %q left", k)
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
}
