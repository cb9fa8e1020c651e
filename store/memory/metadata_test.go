package memory

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/store"
)

func TestMetadataBasic(t *testing.T) {
	ctx := context.Background()
	m := NewMetadata()
	if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	err := m.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get([]byte("a"))
		if err != nil || string(v) != "1" {
			t.Errorf("Get(a) = %q, %v", v, err)
		}
		if _, err := tx.Get([]byte("b")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(b) error %v, want ErrNotFound", err)
		}
		if err := tx.Put([]byte("b"), nil); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put in View: %v, want ErrReadOnly", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
