package badger_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
)

// TestScanAcrossTables spreads keys over many table files and memtables
// (a 1 MiB memtable) and checks random range scans against a model.
func TestScanAcrossTables(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := badger.Options{MemTableSize: 1 << 20}
	m := open(t, dir, o)
	r := rand.New(rand.NewPCG(3, 4))
	model := map[string]string{}
	val := bytes.Repeat([]byte("v"), 100)
	for batch := range 60 {
		err := m.Update(ctx, func(tx store.Tx) error {
			for range 500 {
				k := fmt.Sprintf("%c/%06d", 'a'+r.IntN(4), r.IntN(100000))
				if r.IntN(5) == 0 {
					delete(model, k)
					if err := tx.Delete([]byte(k)); err != nil {
						return err
					}
					continue
				}
				v := fmt.Sprintf("%s%d", val, batch)
				model[k] = v
				if err := tx.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ssts, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(ssts) < 2 {
		t.Fatalf("%d table files: the test did not spread keys", len(ssts))
	}
	keys := make([]string, 0, len(model))
	for k := range model {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	check := func(m *badger.Metadata) {
		t.Helper()
		for range 200 {
			start := fmt.Sprintf("%c/%06d", 'a'+r.IntN(4), r.IntN(100000))
			var end []byte
			if r.IntN(4) != 0 {
				end = []byte(fmt.Sprintf("%c/%06d", 'a'+r.IntN(4), r.IntN(100000)))
			}
			var want []string
			for _, k := range keys {
				if k >= start && (end == nil || k < string(end)) {
					want = append(want, k)
				}
			}
			var got []string
			err := m.View(ctx, func(tx store.Tx) error {
				return tx.Scan([]byte(start), end, func(k, v []byte) bool {
					if string(v) != model[string(k)] {
						t.Errorf("%s = %q, want %q", k, v, model[string(k)])
					}
					got = append(got, string(k))
					return true
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Scan(%q, %q): %d keys, want %d", start, end, len(got), len(want))
			}
		}
	}
	check(m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2, err := badger.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	check(m2)
}
