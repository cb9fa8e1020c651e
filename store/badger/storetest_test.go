package badger_test

import (
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/storetest"
)

func open(t *testing.T, dir string, o badger.Options) *badger.Metadata {
	t.Helper()
	m, err := badger.Open(dir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestConformance(t *testing.T) {
	dirs := map[store.Metadata]string{}
	storetest.Metadata(t, func(t *testing.T) store.Metadata {
		dir := t.TempDir()
		m := open(t, dir, badger.Options{})
		dirs[m] = dir
		return m
	}, storetest.MetadataOptions{
		Reopen: func(t *testing.T, old store.Metadata) store.Metadata {
			dir := dirs[old]
			if err := old.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			m := open(t, dir, badger.Options{})
			dirs[m] = dir
			return m
		},
	})
}

// TestConformanceSmallValueThreshold puts every value in the value log.
func TestConformanceSmallValueThreshold(t *testing.T) {
	dirs := map[store.Metadata]string{}
	o := badger.Options{ValueThreshold: 16, SyncWrites: true}
	storetest.Metadata(t, func(t *testing.T) store.Metadata {
		dir := t.TempDir()
		m := open(t, dir, o)
		dirs[m] = dir
		return m
	}, storetest.MetadataOptions{
		Reopen: func(t *testing.T, old store.Metadata) store.Metadata {
			dir := dirs[old]
			if err := old.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			m := open(t, dir, o)
			dirs[m] = dir
			return m
		},
	})
}

func BenchmarkMetadata(b *testing.B) {
	storetest.BenchmarkMetadata(b, func(b *testing.B) store.Metadata {
		m, err := badger.Open(b.TempDir(), badger.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { m.Close() })
		return m
	})
}

// BenchmarkMetadataSyncWrites measures the cost of Options.SyncWrites.
func BenchmarkMetadataSyncWrites(b *testing.B) {
	storetest.BenchmarkMetadata(b, func(b *testing.B) store.Metadata {
		m, err := badger.Open(b.TempDir(), badger.Options{SyncWrites: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { m.Close() })
		return m
	})
}
